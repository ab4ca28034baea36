"""arXiv's subject categories, as arXiv writes them: what `/digest config sources=` and
`paperboy ingest arxiv --category` accept, with the closest one suggested for a typo."""
from __future__ import annotations

from rapidfuzz.distance import Levenshtein

_ARCHIVES_WITH_SUBJECTS = {
    "cs": "AI AR CC CE CG CL CR CV CY DB DC DL DM DS ET FL GL GR GT HC IR IT LG LO MA MM MS NA NE NI OH OS PF "
          "PL RO SC SD SE SI SY",
    "econ": "EM GN TH",
    "eess": "AS IV SP SY",
    "math": "AC AG AP AT CA CO CT CV DG DS FA GM GN GR GT HO IT KT LO MG MP NA NT OA OC PR QA RA RT SG SP ST",
    "astro-ph": "CO EP GA HE IM SR",
    "cond-mat": "dis-nn mes-hall mtrl-sci other quant-gas soft stat-mech str-el supr-con",
    "nlin": "AO CD CG PS SI",
    "physics": "acc-ph ao-ph app-ph atm-clus atom-ph bio-ph chem-ph class-ph comp-ph data-an ed-ph flu-dyn gen-ph "
               "geo-ph hist-ph ins-det med-ph optics plasm-ph pop-ph soc-ph space-ph",
    "q-bio": "BM CB GN MN NC OT PE QM SC TO",
    "q-fin": "CP EC GN MF PM PR RM ST TR",
    "stat": "AP CO ME ML OT TH",
}
_ARCHIVES_ALONE = ("gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph", "nucl-ex", "nucl-th", "quant-ph")

CATEGORIES: tuple[str, ...] = (
    *(f"{archive}.{subject}" for archive, subjects in _ARCHIVES_WITH_SUBJECTS.items() for subject in subjects.split()),
    *_ARCHIVES_ALONE,
)
ARCHIVES: tuple[str, ...] = (*_ARCHIVES_WITH_SUBJECTS, *_ARCHIVES_ALONE)
_BY_FOLDED = {name.lower(): name for name in (*CATEGORIES, *ARCHIVES)}


def category_named(text: str) -> str | None:
    """The category (or whole archive, such as "cs") as arXiv writes it, whatever the case typed;
    None when arXiv has no such category."""
    return _BY_FOLDED.get(text.strip().lower())


# Where a typo is equally close to several, the one people read most is the likelier meant.
_MOST_READ = ("cs.LG", "cs.CL", "cs.CV", "cs.AI", "stat.ML", "cs.RO", "cs.IR", "cs.NE", "cs.CR", "cs.SE", "cs.HC",
              "eess.AS", "eess.IV", "eess.SP", "math.OC", "cs.MA", "q-bio.QM", "quant-ph")


def closest_category(text: str) -> str | None:
    """The category most like a mistyped one ("cs.XL" -> "cs.CL"), if any is close: the fewest
    edits away, within the same archive when the archive is right."""
    typed = text.strip().lower()
    archive = typed.partition(".")[0]
    candidates = [name for name in _BY_FOLDED if name.startswith(archive + ".")] or list(_BY_FOLDED)
    rank = {name.lower(): n for n, name in enumerate(_MOST_READ)}
    best = min(candidates, key=lambda name: (Levenshtein.distance(typed, name), rank.get(name, len(rank)), name))
    return _BY_FOLDED[best] if Levenshtein.distance(typed, best) <= max(1, len(typed) // 3) else None
