"""BM25 reads every script: accented words stay whole, CJK text is matched by bigrams."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ifr_sim.agents.base import Observation
from ifr_sim.agents.baselines.bm25 import BM25Agent, BM25Index, tokenize
from ifr_sim.core.catalog import load_catalog_file

pytest_plugins = ("agent_fixtures",)

REQUEST = "推荐一款评分高、价格合理的手机"  # "recommend a well-rated, fairly priced phone"


def test_accented_words_stay_whole_in_either_unicode_form() -> None:
    assert tokenize("Café Müller") == ["café", "müller"]
    assert tokenize("CAFE\u0301 MU\u0308LLER") == ["café", "müller"]  # decomposed, upper case
    assert tokenize("Ｍａｔｅ６０ snake_case") == ["mate60", "snake", "case"]  # full width


def test_cjk_runs_become_overlapping_bigrams() -> None:
    assert tokenize("价格合理的手机") == ["价格", "格合", "合理", "理的", "的手", "手机"]
    assert tokenize("机") == ["机"]  # a lone character stays
    assert tokenize("Mate60手机、东京・大阪") == ["mate60", "手机", "东京", "大阪"]


def test_accented_query_finds_only_the_accented_title() -> None:
    index = BM25Index(["Café Müller (1985)", "Cafe Society", "Muller and Sons"])
    scores = index.score(["café müller"], np.array([[0, 1, 2]]))[0]
    assert scores[0] > 0 and scores[1] == scores[2] == 0
    assert not index.score(["caf ller"], np.array([[0, 1, 2]])).any()  # no word fragments


def test_chinese_request_ranks_the_phones_first(
    tmp_path: Path, observe: Callable[..., Observation]
) -> None:
    rows = [
        ("联想 ThinkPad X1 笔记本电脑", "笔记本电脑", 4.7),
        ("华为 Mate 60 Pro 手机", "手机", 4.8),
        ("索尼 WH-1000XM5 降噪耳机", "耳机", 4.6),
        ("佳能 EOS R6 微单相机", "相机", 4.5),
        ("小米 14 智能手机", "手机", 4.4),
        ("樱桃 机械键盘", "键盘", 4.3),
        ("华为 Watch 4 智能手表", "手表", 4.2),
        ("OPPO Find X7 拍照手机", "手机", 4.1),
    ]
    path = tmp_path / "电子产品.csv"
    pd.DataFrame(
        [{"id": f"p{i}", "title": t, "categories": c, "rating": r}
         for i, (t, c, r) in enumerate(rows)]
    ).to_csv(path, index=False)
    catalog = load_catalog_file(path, domain="shop")
    candidates = np.array([[7, 6, 5, 4, 3, 2, 1, 0]])  # position p holds item 7 - p
    slate = BM25Agent(catalog, slate_size=3).act(
        observe([REQUEST], candidates), {}, np.random.default_rng(0)
    )[0]
    assert sorted(candidates[0, slate].tolist()) == [1, 4, 7]  # the three phones
