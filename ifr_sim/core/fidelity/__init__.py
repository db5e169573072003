"""How closely simulated behaviour matches real behaviour: pure metrics over arrays.

Used by `ifr-sim bench fidelity`; each module holds one kind of comparison (choices
between items, rating errors, distributions of what was clicked or rated).
"""
