"""Every way people paste an arXiv paper resolves to the bare id, without its version."""
from __future__ import annotations

import pytest

from paperboy.bot.ids import find_paper_ids, find_paper_links, parse_paper_id

NEW_STYLE = [
    "2309.12288", "2309.12288v2", "2309.12288v12", "arXiv:2309.12288", "arxiv:2309.12288v3",
    "ARXIV: 2309.12288", "arXiv 2309.12288", "arXiv.2309.12288",
    "https://arxiv.org/abs/2309.12288", "http://arxiv.org/abs/2309.12288v1", "arxiv.org/abs/2309.12288",
    "https://www.arxiv.org/abs/2309.12288", "www.arxiv.org/abs/2309.12288v2",
    "https://arxiv.org/pdf/2309.12288", "https://arxiv.org/pdf/2309.12288v2", "arxiv.org/pdf/2309.12288.pdf",
    "https://arxiv.org/pdf/2309.12288v2.pdf", "https://arxiv.org/html/2309.12288v1",
    "https://export.arxiv.org/abs/2309.12288", "export.arxiv.org/abs/2309.12288v4",
    "https://huggingface.co/papers/2309.12288", "huggingface.co/papers/2309.12288",
    "https://huggingface.co/papers/2309.12288#community", "https://hf.co/papers/2309.12288",
    "https://www.alphaxiv.org/abs/2309.12288", "alphaxiv.org/abs/2309.12288v2",
    "https://alphaxiv.org/overview/2309.12288", "https://www.alphaxiv.org/overview/2309.12288v1",
    "10.48550/arXiv.2309.12288", "https://doi.org/10.48550/arXiv.2309.12288", "doi:10.48550/arXiv.2309.12288",
    "https://arxiv.org/abs/2309.12288?context=cs.CL", "https://arxiv.org/abs/2309.12288#S2",
    "  2309.12288  ", "\t<https://arxiv.org/abs/2309.12288>\n", "<https://arxiv.org/abs/2309.12288|arxiv.org/abs/2309.12288>",
    "(2309.12288)", "https://arxiv.org/abs/2309.12288.",
]


@pytest.mark.parametrize("text", NEW_STYLE)
def test_new_style_forms_resolve_to_the_bare_id(text):
    assert parse_paper_id(text) == "2309.12288"


@pytest.mark.parametrize("text, expected", [
    ("0704.0001", "0704.0001"),  # the first id of the 2007 scheme: four digits after the dot
    ("arXiv:0704.0001v2", "0704.0001"),
    ("1412.9999", "1412.9999"),
    ("1501.00001", "1501.00001"),  # five digits from 2015
    ("https://arxiv.org/abs/1706.03762v7", "1706.03762"),
])
def test_four_and_five_digit_numbers(text, expected):
    assert parse_paper_id(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("hep-th/9901001", "hep-th/9901001"),
    ("hep-th/9901001v2", "hep-th/9901001"),
    ("arXiv:hep-th/9901001", "hep-th/9901001"),
    ("https://arxiv.org/abs/hep-th/9901001", "hep-th/9901001"),
    ("arxiv.org/pdf/hep-th/9901001v1.pdf", "hep-th/9901001"),
    ("math.GT/0309136", "math/0309136"),  # the subject class is not part of the identifier
    ("arXiv:math.GT/0309136v1", "math/0309136"),
    ("https://arxiv.org/abs/cond-mat/0011008", "cond-mat/0011008"),
    ("10.48550/arXiv.quant-ph/0201082", "quant-ph/0201082"),
])
def test_old_style_ids(text, expected):
    assert parse_paper_id(text) == expected


@pytest.mark.parametrize("text", [
    "", "   ", "reversal curse", "2309.1228",  # four digits after 2015
    "0612.1234",  # before the scheme began
    "2313.12288",  # month 13
    "1501.0001", "2309.123456", "foo/1234567", "hep-th/990100", "https://example.org/abs/2309.12288",
    "https://github.com/x/2309.12288", "2309.12288 reversal curse", "x" * 10_000,
    "arxiv.org/abs/", "10.1234/arXiv.2309.12288",
])
def test_non_ids_are_not_ids(text):
    assert parse_paper_id(text) is None


def test_links_are_found_in_a_message_in_order_without_repeats():
    message = (
        "Two good ones: <https://arxiv.org/abs/2309.12288|the reversal curse> and "
        "huggingface.co/papers/2504.04383, plus (https://www.alphaxiv.org/overview/2106.09685v2). "
        "Again: <https://arxiv.org/abs/2309.12288|the reversal curse>. Also https://arxiv.org/pdf/hep-th/9901001v1.pdf"
    )
    assert find_paper_links(message) == [
        "https://arxiv.org/abs/2309.12288",
        "huggingface.co/papers/2504.04383",
        "https://www.alphaxiv.org/overview/2106.09685v2",
        "https://arxiv.org/pdf/hep-th/9901001v1.pdf",
    ]
    assert find_paper_ids(message) == ["2309.12288", "2504.04383", "2106.09685", "hep-th/9901001"]


def test_links_elsewhere_and_bare_ids_are_not_paper_links():
    message = "see notarxiv.org/abs/2309.12288, https://example.com/papers/2309.12288 and 2309.12288"
    assert find_paper_links(message) == []
    assert find_paper_links("") == []
    assert find_paper_links("x" * 10_000) == []
