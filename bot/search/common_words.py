"""Word stems so frequent in paper abstracts (in more than ~3% of 300k records) that a full-text
search for them costs more than it tells. Porter stems, as the FTS5 index stores them; a word
counts as common when it is one of these plus an inflection or derivation ending
("learn" + "ing"), which keeps "provenance" apart from "prove".
"""
from __future__ import annotations

from functools import lru_cache

from paperboy.bot.spelling import american

COMMON_ABSTRACT_STEMS = frozenset("""
abil abl acceler access accur accuraci achiev across action activ adapt addit addition address
adopt advanc advantag adversari agent aim algorithm align allow along also altern although among
analysi analyz ani annot answer appli applic approach approxim architectur art assess associ
attent augment autom automat autonom avail averag avoid awar balanc base baselin becaus becom
behavior benchmark benefit best better beyond bound bridg build call camera capabl captur case
caus challeng chang character chen class classif classifi close cluster code collect com combin
common commun compar comparison competit complet complex compon comprehens comput concept condit
conduct connect consid consist constrain constraint construct contain content context continu
contrast contribut control convent converg convolut core correct correl correspond cost creat
critic cross crucial current data dataset decis decod deep defin degrad demonstr depend deploy
depth deriv describ design despit detail detect determin develop differ differenti difficult
diffus dimension direct directli distanc distinct distribut divers doe domain drive driven due
dure dynam effect effici either embed emerg empir emploi enabl encod end energi enhanc ensur
environ error especi essenti establish estim evalu even evid exampl execut exhibit exist experi
experiment expert explicit explicitli exploit explor express extend extens extract face facilit
factor fail fast featur feedback fidel field filter final find fine first fix flexibl focu focus
follow forc form formul foundat four frame framework free full fulli function fundament
furthermor futur gain gap gaussian gener geometr geometri github given global goal gradient
grain graph ground group guarante guid handl help hierarch high higher highli highlight howev
http huang human identifi imag impact implement import improv includ incorpor increas
increasingli independ indic individu infer inform inher initi input insight inspir instanc
integr intellig interact interpret introduc investig involv issu iter joint kei kim knowledg
known label lack languag larg latent layer lead learn lee less level leverag lightweight like
limit lin linear liu llm local long loss low lower machin mai maintain make mani manipul map
match mean measur mechan memori method metric minim mitig modal model modul moreov motion multi
multimod multipl name natur need network neural new nois non novel number numer object observ
obtain offer often onli onlin open oper optim order origin outperform output overal pair paper
paradigm paramet part particular particularli path pattern per percept perform perspect physic
pipelin plan point polici pose posit possibl potenti power practic pre precis predict present
preserv previou principl prior probabl problem process produc progress project promis prompt
properti propos prove provid qualiti queri question random rang rank rate rather real realist
reason recent recognit reconstruct reduc refer refin region regular reinforc rel relat
relationship releas relev reli reliabl remain report repres represent requir research resolut
resourc respect respons result retriev reveal reward risk robot robust role safeti sampl scalabl
scale scenario scene scheme score search second segment select self semant sensit sensor separ
sequenc set sever shape share shift shot show shown signal signific significantli similar simpl
simul simultan singl size small solut solv sourc space spars spatial special specif speed stabil
stage standard state statist step still strategi strong structur struggl studi substanti success
suffer suggest sun superior supervis support surfac synthet system systemat take target task
techniqu tempor term test text thei theoret theori thi three thu time token tool track tradit
train trajectori transfer transform tune two type typic uncertainti understand unifi updat user
util valid valu vari variabl variat variou vector veri verifi video view vision visual wai wang
wei weight well whether wide within without work world yang yet yield zero zhang zhao zheng zhou
zhu
""".split())


_ENDINGS = frozenset("""
s es ed d ing e y ies ied er ers or ors est ly ally ily al als ial ally ic ics ical ically ion ions
ation ations ational ization izations isation isations ize ized izes izing ise ised ises ising
alize alized alizes alizing alization alizations ality alities ity ities ive ives ively ivity
ment ments ness able ably ible ibility ility ous ously ance ances ence ences ant ants ent ents
ently ism isms ist ists ate ated ates ating ative atives ator ators ure ures ful fully less
""".split()) | {""}


@lru_cache(maxsize=50_000)
def is_common_in_abstracts(word: str) -> bool:
    """Whether a folded word is (a form of) one of the common stems, in either spelling."""
    return _is_common(word) or _is_common(american(word))


def _is_common(word: str) -> bool:
    for cut in range(len(word), 2, -1):
        if word[cut:] not in _ENDINGS:
            continue
        stem = word[:cut]
        # Porter turns a final y into i ("accuracy" is stored as "accuraci").
        if stem in COMMON_ABSTRACT_STEMS or (stem.endswith("y") and stem[:-1] + "i" in COMMON_ABSTRACT_STEMS):
            return True
    return False
