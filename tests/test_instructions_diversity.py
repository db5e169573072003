"""Distinct n-grams and self-BLEU, against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from ifr_sim.core.instructions.diversity import distinct_n, diversity, self_bleu, words


def test_words_are_lower_cased_without_punctuation() -> None:
    assert words("Sci-Fi, NOT horror!! Kids' stuff") == ["sci", "fi", "not", "horror", "kids",
                                                         "stuff"]


def test_distinct_n_counts_distinct_over_all_ngrams_of_the_corpus() -> None:
    corpus = ["a b a", "a b"]
    assert distinct_n(corpus, 1) == pytest.approx(2 / 5)  # a b a a b: {a, b}
    assert distinct_n(corpus, 2) == pytest.approx(2 / 3)  # (a b) (b a) (a b)
    assert distinct_n(corpus, 3) == pytest.approx(1.0)  # (a b a) alone
    assert distinct_n(["a"], 2) == 0.0  # no bigram at all


def test_self_bleu_of_two_texts_sharing_a_prefix() -> None:
    # "the cat sat" against "the cat ran": unigrams 2/3 match, bigrams 1/2, the trigram
    # none (smoothed to 0.1/1), no 4-gram (0.1/1); equal lengths, no brevity penalty.
    expected = (2 / 3 * 1 / 2 * 0.1 * 0.1) ** 0.25
    assert self_bleu(["the cat sat", "the cat ran"]) == pytest.approx(expected)


def test_self_bleu_applies_the_brevity_penalty_to_the_shorter_text() -> None:
    # "a b" vs "a b c d": precisions 1, 1, 0.1/1, 0.1/1, penalty exp(1 - 4/2).
    short = math.exp(-1) * (1 * 1 * 0.1 * 0.1) ** 0.25
    # "a b c d" vs "a b": precisions 2/4, 1/3, 0.1/2, 0.1/1, longer than its reference.
    long = (2 / 4 * 1 / 3 * 0.1 / 2 * 0.1 / 1) ** 0.25
    assert self_bleu(["a b", "a b c d"]) == pytest.approx((short + long) / 2)


def test_self_bleu_is_one_for_repeats_and_zero_without_shared_words() -> None:
    assert self_bleu(["comedy from the nineties"] * 3) == pytest.approx(1.0)
    assert self_bleu(["comedy nineties", "horror seventies"]) == 0.0
    assert math.isnan(self_bleu(["one text only"]))


def test_diversity_reports_every_measure() -> None:
    result = diversity(["a b a", "a b"])
    assert (result.size, result.distinct_1, result.mean_words) == (2, pytest.approx(0.4), 2.5)
