"""The words of the rich instruction language that the template language does not have.

Data only, kept apart from the code that uses it (`rich.py`) as `lexicon.py` is: short
keywords people type for a category ("scifi", "earbuds"), vague moods and needs that
stand for one ("something to make me laugh", "something to read on the beach"), and the
frames of each style. Category tables are looked up like `lexicon.py`'s, by normalised
name with an optional plural "s"/"es".
"""

from __future__ import annotations

from collections.abc import Mapping

from ifr_sim.core.catalog.catalog import Domain
from ifr_sim.core.instructions.intent import Popularity
from ifr_sim.core.instructions.templates import Style


def _split(table: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Shorthand: phrases separated by "|"."""
    return {key: tuple(value.split("|")) for key, value in table.items()}


KEYWORDS: Mapping[Domain, Mapping[str, tuple[str, ...]]] = {
    "movies": _split({
        "action": "action|action flick|shoot-em-up",
        "adventure": "adventure|adventure flick",
        "animation": "animated|animation|cartoon",
        "children": "kids|family|kids movie|for kids",
        "comedy": "comedy|funny|comedies",
        "crime": "crime|gangster|crime flick",
        "documentary": "documentary|doc|docu",
        "drama": "drama|dramas|dramatic",
        "fantasy": "fantasy|fantasy flick",
        "filmnoir": "noir|film noir",
        "horror": "horror|scary|horror flick",
        "musical": "musical|musicals",
        "mystery": "mystery|whodunit|mysteries",
        "romance": "romance|romantic|love story",
        "scifi": "scifi|sci fi|sci-fi|science fiction",
        "thriller": "thriller|suspense|thrillers",
        "war": "war|war movie",
        "western": "western|cowboy|westerns",
        "imax": "imax",
    }),
    "shop": _split({
        "phone": "phone|smartphone|cell phone|mobile",
        "smartphone": "smartphone|phone|cell phone",
        "laptop": "laptop|notebook|ultrabook",
        "headphone": "headphones|earbuds|headset|cans",
        "camera": "camera|cam|digital camera",
        "tablet": "tablet|tab",
        "smartwatch": "smartwatch|smart watch|fitness watch",
        "speaker": "speaker|bluetooth speaker|speakers",
        "monitor": "monitor|screen|display",
        "keyboard": "keyboard|mech keyboard|keeb",
        "television": "tv|television|telly",
        "ereader": "ereader|e-reader|ebook reader",
        "gameconsole": "console|gaming console|games console",
    }),
    "generic": {},
}
"""Short names of a category, as typed into a search box."""

MOODS: Mapping[Domain, Mapping[str, tuple[str, ...]]] = {
    "movies": _split({
        "action": "something with lots of explosions|an adrenaline rush|"
                  "something full of fights and car chases",
        "adventure": "an epic quest|something with a big journey|a swashbuckling ride",
        "animation": "a cartoon|something hand-drawn or computer animated",
        "children": "something my kids and I can watch|something the whole family can "
                    "watch|something for a seven-year-old",
        "comedy": "something to make me laugh|something light and funny|a good laugh|"
                  "something silly",
        "crime": "something about gangsters or heists|cops and robbers",
        "documentary": "something real, not made up|something about the real world",
        "drama": "something serious and moving|something that makes me cry|a good cry",
        "fantasy": "magic and dragons|something with wizards|another world full of magic",
        "filmnoir": "dark detective stories in black and white|moody old detective stuff",
        "horror": "something that'll scare me|something creepy for Halloween|a good scare",
        "musical": "something with songs and dancing|singing and dancing",
        "mystery": "a puzzle I can try to solve|something where you guess who did it",
        "romance": "something romantic for date night|a love story to swoon over|"
                   "something sweet and romantic",
        "scifi": "something set in space|aliens and robots|something futuristic",
        "thriller": "something that keeps me on the edge of my seat|something tense|"
                    "nail-biting suspense",
        "war": "a story from the battlefield|soldiers at war",
        "western": "cowboys and gunfights|something set in the Wild West",
    }),
    "shop": _split({
        "phone": "something to call and text on|a new mobile",
        "smartphone": "something to call and text on|a new mobile",
        "laptop": "something for work and school on the go|a computer I can carry around",
        "headphone": "something to listen to music on my commute|something for music on "
                     "the bus",
        "camera": "something to take travel photos|something for better pictures than my "
                  "phone",
        "tablet": "something bigger than a phone for watching shows in bed",
        "smartwatch": "something on my wrist to track my runs|something to wear that "
                      "counts my steps",
        "speaker": "something to play music at a party|something loud for the living room",
        "monitor": "a second screen for my desk|something bigger to look at while I work",
        "keyboard": "something nicer to type on",
        "television": "something to watch movies on in the living room|a big screen for "
                      "the lounge",
        "ereader": "something to read books on at the beach",
        "gameconsole": "something to play games on the couch",
    }),
    "generic": {},
}
"""Vague moods and needs that stand for one category (only categories listed have any)."""

QUALITY_KEYWORDS: Mapping[Domain, tuple[str, ...]] = {
    "movies": ("good reviews", "well reviewed", "acclaimed", "top rated", "must-see",
               "rated {rating}+", "{rating}+ stars"),
    "shop": ("good reviews", "well reviewed", "top rated", "{rating}+ stars",
             "rated {rating} or higher", "solid reviews"),
    "generic": ("good reviews", "top rated"),
}
"""Short quality requests; `{rating}` is the catalog's quality bar on its own 1-5 scale."""

POPULARITY_BEFORE: Mapping[Popularity, tuple[str, ...]] = {
    "hidden_gem": ("underrated", "obscure", "lesser-known", "overlooked"),
    "well_known": ("popular", "mainstream", "famous", "well-known"),
}
"""Popularity words that go before the category ("underrated comedy")."""
POPULARITY_AFTER: Mapping[Popularity, tuple[str, ...]] = {
    "hidden_gem": ("not too mainstream", "that not many people know", "off the beaten path",
                   "under the radar", "obscure but good"),
    "well_known": ("that everyone knows", "that everyone's seen", "big hits only",
                   "crowd favorites"),
}
"""Popularity words that follow the other keywords."""

EXCLUSIONS = ("no {}", "not {}", "nothing {}", "skip the {}", "w/o {}", "minus {}",
              "please no {}", "not a fan of {}", "definitely not {}", "but no {}")
"""How a keyword list rules a category out; `{}` is the category's short name."""

REFERENCES = ("like {}", "similar to {}", "more like {}", "{} vibes", "same feel as {}",
              "in the spirit of {}", "stuff like {}", "if I liked {}")
"""How a keyword list or a comparison names the item to resemble."""

NUMBER_WORDS = {5: "five", 10: "ten", 20: "twenty", 30: "thirty", 40: "forty", 50: "fifty",
                100: "a hundred", 200: "two hundred", 300: "three hundred",
                500: "five hundred", 1000: "a thousand", 2000: "two thousand"}
"""Round prices people write in words ("under fifty bucks")."""

DECADE_WORDS = {1920: "twenties", 1930: "thirties", 1940: "forties", 1950: "fifties",
                1960: "sixties", 1970: "seventies", 1980: "eighties", 1990: "nineties"}

FRAMES: Mapping[Style, tuple[str, ...]] = {
    # Keyword style: the request as typed into a search box.
    "keyword": ("{keywords}", "{keywords} pls", "{keywords}?", "need {keywords}",
                "looking for: {keywords}", "{keywords} recs", "{keywords} suggestions",
                "{keywords}!!", "searching {keywords}", "{keywords}, thx", "want: {keywords}",
                "{keywords} anyone?"),
    # Chatty style: greetings, asides, a double negation, an emoji.
    "chatty": (
        "hi there! I was wondering if you could help me find {desc}? thanks so much",
        "ok so my friends are coming over later and we need {desc}. any ideas?",
        "Long day at work... honestly I just want {desc}, nothing else lol",
        "I don't want anything that isn't {desc}.",
        "so, um, what I'd really love right now is {desc} :)",
        "My sister keeps telling me to try {descs}, can you show me a few?",
        "hello! first time here. I usually go for {descs}, what have you got?",
        "ngl I've been wanting {desc} for ages, help me out",
        "Could you maybe suggest {desc}? It's for {occasion}. Cheers!",
        "alright, here's the deal: {desc}. go!",
        "I'm not picky, really, as long as it's {desc}.",
        "Need {desc} asap, it's for {occasion} \U0001f64f",
        "hmm... I guess {desc}? surprise me",
        "we're stuck deciding. {descs} would make everyone happy I think",
        "Not gonna lie, I'm only in the mood for {descs} tonight.",
        "Please help!! {occasion} is coming up and I need {desc}",
    ),
    # Mood style: a vague mood or need that stands for the wanted category.
    "mood": ("I want {mood}.", "In the mood for {mood}.", "Give me {mood}.", "{mood}, please.",
             "feeling like {mood} tonight", "got {mood}?", "I need {mood} after this week.",
             "looking for {mood}", "{mood}", "I could use {mood}",
             "today calls for {mood}", "honestly just {mood}"),
    # Comparison style: a named item to resemble, the other parts as keywords.
    "comparison": ("{comparison}", "{comparison}, please", "hmm, {comparison}?",
                   "ok: {comparison}", "{comparison}. thanks!", "{comparison}!",
                   "{comparison} - what do you have?", "any ideas? {comparison}"),
    # Question style (held out whole): the request as a question.
    "question": ("any good {descs}?", "what are some {descs} worth a look?",
                 "got any {descs}?", "do you have {desc}?", "which {descs} would you pick?",
                 "is there {desc} you'd recommend?", "know any {descs}?",
                 "what's {desc} I might like?", "are there {descs} here?",
                 "could I see {descs}?", "what would you suggest for {descs}?",
                 "have you got {desc}?"),
}
"""Frames of the rich styles; placeholders are filled by `rich.RichRenderer`."""
