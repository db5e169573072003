"""The applications on top: the command line, the demo and the scorer benchmark."""
