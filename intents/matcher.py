"""Free text and speech → intent: rarity-weighted lemma overlap, typo correction, crisis first.

How an utterance is scored against an intent:

* its content words are lemmatised (in both languages: people mix them) and resolved against the
  vocabulary of the whole tree, exactly or, for a typo, as the closest vocabulary lemma (rapidfuzz);
* every word weighs by how rare its lemma is among intents (inverse document frequency). A word
  no intent knows still weighs something, and a word of someone else's business (passports, power
  cuts, exchange rates) weighs more: that is what keeps "як оформити паспорт" from matching;
* a word only one example phrase of an intent uses is part of that phrase's story ("сусідка",
  "кардіолог"), not the intent's topic: it weighs like a word no intent knows and makes no intent
  a candidate (counted with its near spellings, in intents with enough phrases to tell);
* the score mixes how much of the utterance the intent's vocabulary explains, how well its best
  example phrase fits, and how much of the utterance its curated keywords (whole) explain;
* only intents sharing a specific word (an anchor) with the utterance are candidates, so an
  utterance made of "допомога", "оформити", "отримати" alone matches nothing.

Crisis words (violence, suicide, a threat to life) go to the emergency intent whatever else was said.
Everything is precomputed in `Matcher.build`; a match touches only the postings of its own words.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from intents import clauses, transcript
from intents import crisis as danger
from intents.commands import spoken_number
from intents.lexicon import NEVER_ANCHOR, SYNONYMS
from intents.normalise import (
    LANGS,
    STOP_WORDS,
    apostrophe_variants,
    content_tokens,
    drop_stop,
    is_function_word,
    is_known,
    latin_variants,
    lemma_set,
    tokens,
)
from intents.smalltalk import SmallTalk
from intents.tree import Action, Node, NodeKind, Tree

ACCEPT = 50.0  # below this an utterance matches nothing: ask to rephrase, show the menu
FLOOR = 35.0  # alternatives below this are not worth offering
MARGIN = 5.0  # the top two this close (both accepted) are ambiguous: ask "X or Y?"
EMERGENCY_ACCEPT = 60.0  # the emergency intent this strong on its own words wins whatever else matched
OPTION_ACCEPT = 0.5  # share of an utterance a menu option must explain to be chosen by words
OPTION_MARGIN = 0.15  # ... and by this much more than any other option
OWN_ACCEPT = 0.8  # share an option's own title and phrases must explain to win over a specific intent
TITLE_SAID = 0.5  # more than this share of an option's title words said: the option is named
CERTAIN = 85.0  # ... unless that intent is this sure ("шахраї" is the fraud answer, not the safety menu)

# Score = share of the utterance the intent explains, best phrase fit, share its keywords explain.
W_COVER, W_PHRASE, W_KEYWORD = 0.50, 0.30, 0.20
IDF_POWER = 1.0  # above 1 sharpens the contrast between rare and common words
ANCHOR_SHARE = 0.2  # an anchor lemma belongs to at most this share of intents (and at least 2)
# A word no intent knows weighs like a lemma shared by this share of intents: it is evidence that
# the utterance is about something else.
UNKNOWN_SHARE = 0.15
STORY_CAP = 1.0  # words no intent knows weigh at most this share of the known words' weight
PART_FACTOR = 0.92  # a sentence or clause of a longer message scores this share of what it would alone
ASKING_FACTOR = 0.97  # ... the sentence that asks the question (with the one before it) this share
MIN_PART_WORDS = 3  # content words a part needs to be scored on its own
FUZZY_PENALTY = 0.85  # a corrected typo counts a little less than the exact word
MIN_FUZZY_LEN = 5
ESTABLISHED = 2  # example phrases of one intent a lemma needs (or its title or a keyword) to be its topic
FEW_PHRASES = 20  # ... counted only in intents with this many example phrases (both languages)
COGNATE = 80.0  # a lemma counts with its near spellings in the same intent
FUNCTION_FIT = 85.0  # a word this close to a function word (same first letter) is that word misspelt
SHORTLIST = 12  # at most this many intents get their phrases fitted one by one
WORD_CACHE_SIZE = 100_000


@dataclass(frozen=True)
class Candidate:
    slug: str
    score: float  # 0..100


@dataclass(frozen=True)
class Match:
    intent: str | None  # best slug, or None below the threshold
    score: float
    alternatives: tuple[Candidate, ...]  # the next best (up to 3), each above FLOOR
    ambiguous: bool  # two close candidates: the engine asks "did you mean X or Y?"
    confirm: str | None = None  # no direct answer, but this intent is worth asking about ("did you mean …?")


Postings = Mapping[int, Sequence[tuple[int, int, float]]]  # intent → (text id, word position, weight share)
# The same grouped by text: intent → (text id, first position's bit, its weight share, ((bit, share), ...) of
# the text's further positions), in postings order. A word is mostly at one position of a text.
ByTextHits = tuple[tuple[int, int, float, tuple[tuple[int, float], ...]], ...]
ByText = Mapping[int, ByTextHits]


@dataclass(frozen=True)
class _Word:
    """One content word of an utterance, resolved against the tree's vocabulary (cached per word)."""

    lemmas: frozenset[str]  # vocabulary lemmas it stands for; empty when unknown
    weight: float
    anchor: bool = False
    owners: frozenset[int] = frozenset()  # intents whose vocabulary has it
    phrases: ByText = field(default_factory=dict)
    keywords: Postings = field(default_factory=dict)
    keyword_bits: tuple[tuple[int, int], ...] = ()  # (keyword id, the word position's bit) of every posting


# Function words long enough to be misspelt recognisably, by first letter (a slip keeps it).
_FUNCTION_FUZZY: dict[str, list[str]] = defaultdict(list)
for _stop in sorted(STOP_WORDS):
    if len(_stop) >= MIN_FUZZY_LEN:
        _FUNCTION_FUZZY[_stop[0]].append(_stop)

_UNSEEN = _Word(frozenset(), -1.0)  # cache sentinel (None is a cached "carries no topic")
_SLIP = _Word(frozenset(), 0.0)  # a misspelt function word


def _remember(cache: dict[tuple[str, str], _Word | None], key: tuple[str, str], found: _Word | None) -> _Word | None:
    """Keep a resolved word; the tree's words are few, citizens' are not, so a full cache starts over."""
    if len(cache) > WORD_CACHE_SIZE:
        cache.clear()  # bound memory on a long-lived worker
    cache[key] = found
    return found


def _canonical(lemmas: frozenset[str]) -> frozenset[str]:
    """One lemma for words that mean the same benefit in either language (пособие = допомога)."""
    return frozenset(SYNONYMS.get(x, x) for x in lemmas)


def _text_words(text: str, lang: str) -> list[frozenset[str]]:
    """Lemma alternatives of each content word (numbers and one-letter words carry no topic)."""
    return [_canonical(lemma_set(w, lang)) for w in content_tokens(text, lang) if not w.isdigit() and len(w) > 1]


def _node_texts(node: Node) -> Iterable[tuple[str, str, str]]:
    """(kind, language, text) for everything a node understands."""
    for lang, text in node.texts.items():
        yield "title", lang, text.title
        for phrase in text.phrases:
            yield "phrase", lang, phrase
        for keyword in text.keywords:
            yield "keyword", lang, keyword


class _Texts:
    """Lemmatised phrases (or keywords) of all intents, with postings from lemma to position."""

    def __init__(self) -> None:
        self.raw: list[tuple[int, list[frozenset[str]]]] = []
        self.sizes: list[int] = []
        self.intent: list[int] = []
        self.postings: dict[str, dict[int, list[tuple[int, int, float]]]] = {}
        self.by_text: dict[str, ByText] = {}

    def index(self, idf: Mapping[str, float]) -> None:
        for tid, (intent, words) in enumerate(self.raw):
            weights = [min(idf[x] for x in w) for w in words]
            total = sum(weights)
            self.sizes.append(len(words))
            self.intent.append(intent)
            for k, alternatives in enumerate(words):
                for lemma_ in alternatives:
                    by_intent = self.postings.setdefault(lemma_, {})
                    by_intent.setdefault(intent, []).append((tid, k, weights[k] / total))
        # One lemma's hits come text by text already: grouping keeps their order.
        for lemma_, by_intent in self.postings.items():
            self.by_text[lemma_] = {
                intent: _group((tid, 1 << k, share) for tid, k, share in hits) for intent, hits in by_intent.items()
            }

    def of(self, lemmas: frozenset[str]) -> Postings:
        """The postings of a word that may be any of `lemmas`."""
        if len(lemmas) == 1:
            return self.postings.get(next(iter(lemmas)), {})
        merged: dict[int, list[tuple[int, int, float]]] = defaultdict(list)
        for x in lemmas:
            for intent, hits in self.postings.get(x, {}).items():
                merged[intent].extend(hits)
        return merged

    def of_by_text(self, lemmas: frozenset[str]) -> ByText:
        """`of`, grouped by text: the positions of each text in the order `of` lists them."""
        if len(lemmas) == 1:
            return self.by_text.get(next(iter(lemmas)), {})
        return _Merged([self.by_text.get(x, {}) for x in lemmas])


class _Merged(Mapping[int, ByTextHits]):
    """The postings by text of a word with several lemmas ("оформить": оформити, оформить), merged for
    an intent when its phrases are first fitted: few intents ever are, and a common word's lemmas are
    in hundreds of intents' texts."""

    def __init__(self, parts: Sequence[ByText]) -> None:
        self._parts = parts
        self._merged: dict[int, ByTextHits] = {}

    def get(self, intent: int, default: Any = None) -> Any:  # the matcher's hot loop asks with get()
        found = self._merged.get(intent)
        if found is None:
            each = [part[intent] for part in self._parts if intent in part]
            # Mostly one of the lemmas is in a given intent's texts: its groups serve as they are.
            found = self._merged[intent] = each[0] if len(each) == 1 else _regroup(each) if each else ()
        return found or default

    def __getitem__(self, intent: int) -> ByTextHits:
        found = self.get(intent)
        if found is None:
            raise KeyError(intent)
        return found  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[int]:
        return iter({intent: None for part in self._parts for intent in part})

    def __len__(self) -> int:
        return len({intent for part in self._parts for intent in part})


def _regroup(groups: Sequence[ByTextHits]) -> ByTextHits:
    """Several lemmas' groups of one intent as one, in the order of the lemmas' hits one after another."""
    return _group(
        (tid, bit, share) for texts in groups for tid, b, s, rest in texts for bit, share in ((b, s), *rest)
    )


def _group(hits: Iterable[tuple[int, int, float]]) -> ByTextHits:
    """(text id, bit, share) hits grouped by text, in the order of each text's first hit."""
    by_text: dict[int, list[tuple[int, float]]] = {}
    for tid, bit, share in hits:
        by_text.setdefault(tid, []).append((bit, share))
    return tuple((tid, *positions[0], tuple(positions[1:])) for tid, positions in by_text.items())


class Matcher:
    """Matches utterances against one tree. Make it with `Matcher.build`, once per tree version;
    it is read-only afterwards apart from its word cache, so threads may share it."""

    def __init__(self, tree: Tree) -> None:
        intents = tree.intents()
        self.tree = tree
        self.slugs = tuple(n.slug for n in intents)
        self.emergency = frozenset(i for i, n in enumerate(intents) if n.action is Action.EMERGENCY)
        # Small talk is recognised whole (intents/smalltalk.py), never by sharing a word with a question.
        self.smalltalk = SmallTalk.of(intents)
        self.unscored = frozenset(i for i, n in enumerate(intents) if n.action is Action.SMALLTALK)
        self.vocab: list[set[str]] = [set() for _ in intents]
        self.phrases = _Texts()
        self.keywords = _Texts()
        self.idf: dict[str, float] = {}
        self.owners: dict[str, frozenset[int]] = {}
        self.incidental: frozenset[str] = frozenset()
        self.anchor_idf = 0.0
        self.unknown_weight = 0.0
        # What a misspelt word is compared with, by length: every lemma of the tree and every form its
        # texts use ("бойових" is closer to "бойвих" than "бойовий" is), each with the lemmas it stands
        # for and how many texts use it (the commoner of two equally close words is the likelier).
        self.fuzzy_vocab: dict[int, list[str]] = defaultdict(list)
        self.spelled: dict[str, tuple[frozenset[str], int]] = {}
        self.profiles: dict[str, frozenset[str]] = {}  # a node with its children, as a menu option
        self.own_profiles: dict[str, frozenset[str]] = {}  # a node's own words
        # Per (word, language), plain dict ops (thread-safe enough): every content word as read, and every
        # word looked up exactly (the transcript repair asks about each pair of neighbours joined).
        self._word_cache: dict[tuple[str, str], _Word | None] = {}
        self._exact_cache: dict[tuple[str, str], _Word | None] = {}
        self._last: tuple[str, str, Match] | None = None

    @classmethod
    def build(cls, tree: Tree) -> Matcher:
        """Precompute lemmatised phrases and keywords, word weights, postings and menu profiles."""
        matcher = cls(tree)
        matcher._read_intents(tree.intents())
        matcher._index_profiles()
        matcher._weigh()
        matcher.phrases.index(matcher.idf)
        matcher.keywords.index(matcher.idf)
        return matcher

    # -- building -------------------------------------------------------------------------

    def _read_intents(self, intents: Sequence[Node]) -> None:
        seen: dict[tuple[str, int], int] = defaultdict(int)  # (lemma, intent) → example phrases using it
        for i, node in enumerate(intents):
            # An intent with few phrases has no story words to tell apart: all its words are its topic.
            few = sum(len(text.phrases) for text in node.texts.values()) < FEW_PHRASES
            for kind, lang, text in _node_texts(node):
                words = _text_words(text, lang)
                if not words:
                    continue
                self.vocab[i].update(*words)
                (self.keywords if kind == "keyword" else self.phrases).raw.append((i, words))
                for lemma_ in frozenset().union(*words):
                    seen[lemma_, i] += ESTABLISHED if kind != "phrase" or few else 1
                    self._spell(lemma_, frozenset((lemma_,)))
                for form in content_tokens(text, lang):
                    if len(form) >= MIN_FUZZY_LEN and not form.isdigit():
                        self._spell(form, _canonical(lemma_set(form, lang)))
        # A word counts with its near spellings in the same intent: the other language's cognate
        # ("опекунство" in one Russian phrase, "опікунство" in Ukrainian ones), another derivation.
        for i, vocab in enumerate(self.vocab):
            by_start: dict[str, list[str]] = defaultdict(list)  # cognates share their first two letters
            for x in vocab:
                if len(x) >= MIN_FUZZY_LEN:
                    by_start[x[:2]].append(x)
            for x in (x for x in vocab if seen[x, i] < ESTABLISHED and len(x) >= MIN_FUZZY_LEN):
                near = process.extract(x, by_start[x[:2]], scorer=fuzz.ratio, score_cutoff=COGNATE, limit=None)
                seen[x, i] += sum(seen[y, i] for y, _, _ in near if y != x)
        established = {lemma_ for (lemma_, _), n in seen.items() if n >= ESTABLISHED}
        self.incidental = frozenset(lemma_ for lemma_, _ in seen) - established

    def _spell(self, written: str, lemmas: frozenset[str]) -> None:
        known, texts = self.spelled.get(written, (frozenset(), 0))
        self.spelled[written] = (known | lemmas, texts + 1)

    def _weigh(self) -> None:
        n = len(self.vocab)
        owners: dict[str, set[int]] = defaultdict(set)
        for i, vocab in enumerate(self.vocab):
            for lemma_ in vocab:
                owners[lemma_].add(i)
        self.owners = {lemma_: frozenset(ids) for lemma_, ids in owners.items()}
        self.idf = {lemma_: self._rarity(len(ids) / n) for lemma_, ids in owners.items()}
        self.anchor_idf = self._rarity(max(2 / n, ANCHOR_SHARE)) if n else 0.0
        self.unknown_weight = self._rarity(UNKNOWN_SHARE)
        for lemma_ in self.incidental:
            self.idf[lemma_] = min(self.idf[lemma_], self.unknown_weight)
        # Words only menus use ("безпека") are understood when choosing an option; to an intent
        # they weigh like an unknown word.
        for lemma_ in frozenset().union(*self.profiles.values()) - self.idf.keys():
            self.idf[lemma_] = self.unknown_weight
            self.owners[lemma_] = frozenset()
        for written in sorted(self.spelled):
            self.fuzzy_vocab[len(written)].append(written)

    @staticmethod
    def _rarity(share: float) -> float:
        """The weight of a lemma that this share of intents use."""
        return float(math.log(1 + 1 / share) ** IDF_POWER)

    def _index_profiles(self) -> None:
        for node, _ in self.tree.walk():
            own = self.own_profiles[node.slug] = self._profile(node)
            # A category also answers to its children's titles and keywords ("коляска" → Інвалідність).
            children = node.children if node.kind is NodeKind.CATEGORY else ()
            wider = [
                _text_words(text, lang) for c in children for kind, lang, text in _node_texts(c) if kind != "phrase"
            ]
            self.profiles[node.slug] = own.union(*(x for words in wider for x in words))

    @staticmethod
    def _profile(node: Node) -> frozenset[str]:
        """Every lemma of a node's own titles, phrases and keywords."""
        return frozenset(x for _, lang, text in _node_texts(node) for w in _text_words(text, lang) for x in w)

    # -- resolving words ------------------------------------------------------------------

    def words(self, text: str, lang: str) -> list[_Word]:
        """The utterance's content words, transcript slips repaired, resolved against the tree's vocabulary."""
        said = transcript.repair(tokens(text, lang), lambda w: self._exact(w, lang) is not None)
        return [w for w in (self._resolve(t, lang) for t in drop_stop(said)) if w is not None]

    def _resolve(self, word: str, lang: str) -> _Word | None:
        key = (word, lang)
        found = self._word_cache.get(key, _UNSEEN)
        return _remember(self._word_cache, key, self._resolve_uncached(word, lang)) if found is _UNSEEN else found

    def _resolve_uncached(self, word: str, lang: str) -> _Word | None:
        if word.isdigit() or len(word) < 2:
            return None
        readings = (word, *apostrophe_variants(word), *latin_variants(word))
        for candidate in readings:
            if is_function_word(candidate, lang):
                return None  # "жовтня", "зробили", "ne": forms of words that carry no topic
            if (found := self._exact(candidate, lang)) is not None:
                return found
        # A typo only when no reading is a word: "oformyty" is "оформити", not a slip of "оформиты".
        for candidate in readings:
            if (found := self._fuzzy(candidate, lang)) is not None:
                return None if found is _SLIP else found
        return _Word(frozenset(), self.unknown_weight)

    def _exact(self, word: str, lang: str) -> _Word | None:
        key = (word, lang)
        found = self._exact_cache.get(key, _UNSEEN)
        return _remember(self._exact_cache, key, self._exact_uncached(word, lang)) if found is _UNSEEN else found

    def _exact_uncached(self, word: str, lang: str) -> _Word | None:
        hits = _canonical(lemma_set(word, lang) | {word}) & self.idf.keys()
        return self._word(hits, 1.0) if hits else None

    def _fuzzy(self, word: str, lang: str) -> _Word | None:
        """The vocabulary word closest to a misspelt word ("субсідія", "каляска", "бойвих"), or `_SLIP`.

        A word either dictionary knows is not a typo but another word ("справи" is not "справка",
        "поїзд" is not "проїзд"), so only unknown words are corrected. A misspelt function word
        ("потрібо", "пожалуста") is dropped like the word itself.
        """
        if any(is_known(word, lang_) for lang_ in LANGS):
            return None
        best: tuple[float, int, str] | None = None  # (closeness, texts using it, the word)
        for form in {word, *lemma_set(word, lang)}:
            if len(form) < MIN_FUZZY_LEN:
                continue
            cutoff = 75.0 if len(form) >= 7 else 80.0
            near = process.extract(
                form, self._near_lengths(len(form), cutoff), scorer=fuzz.ratio, score_cutoff=cutoff, limit=None
            )
            for written, closeness, _ in near:
                found = (closeness, self.spelled[written][1], written)
                best = found if best is None or found > best else best
        if len(word) >= MIN_FUZZY_LEN and (function := _FUNCTION_FUZZY.get(word[0])):
            slip = process.extractOne(word, function, scorer=fuzz.ratio, score_cutoff=FUNCTION_FIT)
            if slip is not None and (best is None or slip[1] >= best[0]):
                return _SLIP
        if best is None:
            return None
        lemmas = self.spelled[best[2]][0] & self.idf.keys()
        return self._word(lemmas, FUZZY_PENALTY) if lemmas else None

    def _near_lengths(self, length: int, cutoff: float) -> list[str]:
        """Vocabulary words whose length lets them reach `cutoff` at all (ratio ≤ 2·min / sum)."""
        low = math.ceil(length * cutoff / (200 - cutoff))
        high = math.floor(length * (200 - cutoff) / cutoff)
        return [x for n in range(low, high + 1) for x in self.fuzzy_vocab.get(n, ())]

    def _word(self, lemmas: frozenset[str], factor: float) -> _Word:
        # An ambiguous word is as specific as its most common reading: "живу" is mostly "жити",
        # whatever rare lemma the dictionary also offers.
        weight = min(self.idf[x] for x in lemmas)
        keywords = self.keywords.of(lemmas)
        return _Word(
            lemmas,
            weight * factor,
            anchor=weight >= self.anchor_idf and not lemmas & NEVER_ANCHOR and not lemmas <= self.incidental,
            owners=frozenset().union(*(self.owners[x] for x in lemmas)),
            phrases=self.phrases.of_by_text(lemmas),
            keywords=keywords,
            keyword_bits=tuple((kid, 1 << k) for hits in keywords.values() for kid, k, _ in hits),
        )

    # -- scoring --------------------------------------------------------------------------

    def _known_elsewhere(self, word: str) -> bool:
        """A word some intent other than small talk understands."""
        found = self._exact(word, "uk") or self._exact(word, "ru")
        return found is not None and not found.owners <= self.unscored

    def _total(self, words: Sequence[_Word]) -> float:
        """The weight of an utterance: its known words, and at most as much again of words no intent knows.

        Words of the story (names, towns, relatives, dates) explain nothing and should not count
        against every intent; a few still do, so that a message about something else entirely,
        sharing one word with an intent, stays unmatched.
        """
        known = sum(w.weight for w in words if w.lemmas)
        unknown = sum(w.weight for w in words if not w.lemmas)
        return known + min(unknown, max(known, self.unknown_weight) * STORY_CAP)

    def scores(self, words: Sequence[_Word]) -> dict[int, float]:
        """Score (0..100) of every intent sharing at least one anchor with the utterance."""
        total = self._total(words)
        # An intent is a candidate through a specific word, or through one of its own keywords however
        # common the word ("працюєте" is the office hours' keyword, though many stories work).
        candidates = frozenset().union(*(w.owners if w.anchor else w.keywords.keys() for w in words if w.lemmas))
        if total <= 0 or not candidates:
            return {}
        partial = dict.fromkeys(candidates, 0.0)
        for word in words:
            for i in word.owners & candidates:
                partial[i] += W_COVER * word.weight / total
        for i, share in self._keyword_shares(words, total).items():
            if i in partial:
                partial[i] += W_KEYWORD * share
        return self._add_phrase_fit(partial, words, total)

    def _keyword_shares(self, words: Sequence[_Word], total: float) -> dict[int, float]:
        """Per intent, the share of the utterance inside its keywords said whole ("місце проживання")."""
        said: dict[int, int] = {}
        users: dict[int, set[int]] = defaultdict(set)
        for n, word in enumerate(words):
            for kid, bit in word.keyword_bits:
                said[kid] = said.get(kid, 0) | bit
                users[kid].add(n)
        inside: dict[int, set[int]] = defaultdict(set)
        for kid, bits in said.items():
            if bits == (1 << self.keywords.sizes[kid]) - 1:
                inside[self.keywords.intent[kid]] |= users[kid]
        return {i: sum(words[n].weight for n in ns) / total for i, ns in inside.items()}

    def _add_phrase_fit(self, partial: dict[int, float], words: Sequence[_Word], total: float) -> dict[int, float]:
        """Partial scores plus the phrase fit, computed best first and only while it can matter.

        Fitting phrases is the costly part. An intent whose partial score plus the largest possible
        fit cannot reach the second best complete score keeps its partial score (a lower bound): it
        can neither win nor make the match ambiguous.
        """
        scores = dict(partial)
        best = second = -math.inf  # the two best complete scores
        for n, i in enumerate(sorted(partial, key=partial.__getitem__, reverse=True)[:SHORTLIST]):
            if n >= 2 and partial[i] + W_PHRASE <= second:
                break
            score = scores[i] = scores[i] + W_PHRASE * self._phrase_fit(i, words, total)
            if score > best:
                best, second = score, best
            elif score > second:
                second = score
        return {i: 100.0 * score for i, score in scores.items()}

    def _phrase_fit(self, intent: int, words: Sequence[_Word], total: float) -> float:
        """Best F-measure between the utterance and one of the intent's phrases (weighted words).

        The hot loop of a long message, written for speed: one look-up per phrase a word is in, and
        sums added in word order (the same figures whatever the shape of the loop).
        """
        fits: dict[int, list[Any]] = {}  # phrase id → [bits of its words said, recall, precision]
        for word in words:
            hits = word.phrases.get(intent)
            if not hits:
                continue
            step = word.weight / total
            for pid, bit, share, further in hits:
                fit = fits.get(pid)
                if fit is None:
                    if not further:  # the common case: a text this word is at one position of
                        fits[pid] = [bit, share, step]
                        continue
                    fit = fits[pid] = [0, 0.0, 0.0]
                bits = fit[0]
                if not bits & bit:
                    fit[0] = bits = bits | bit
                    fit[1] += share
                for bit_, share_ in further:
                    if not bits & bit_:
                        fit[0] = bits = bits | bit_
                        fit[1] += share_
                fit[2] += step
        best = 0.0
        for _, r, p in fits.values():
            if p > 1.0:
                p = 1.0
            f = 2 * p * r / (p + r)
            if f > best:
                best = f
        return best

    # -- matching -------------------------------------------------------------------------

    def match(self, text: str, lang: str) -> Match:
        """The intent an utterance asks for, with runners-up and whether to ask which one."""
        last = self._last
        if last is not None and last[0] == text and last[1] == lang:
            return last[2]  # the engine asks about the same utterance twice in one turn
        result = self._match(text, lang)
        self._last = (text, lang, result)
        return result

    def _match(self, text: str, lang: str) -> Match:
        if (small := self.smalltalk.sure(text, lang, self._known_elsewhere)) is not None:
            return Match(small, 100.0, (), False)
        words = self.words(text, lang)
        scores = self.scores(words)
        crisis = self._crisis(text, lang, words, scores)
        # Windows often come to the same words (a clause that is its whole sentence, a story sentence
        # with nothing in it): each list is scored once. The lists stay referenced, so ids stay theirs.
        scored = {tuple(map(id, words)): (words, dict(scores))}
        for part in clauses.windows(text):
            said = self.words(part.text, lang)
            if len(said) < MIN_PART_WORDS:
                continue  # "муж на работе": a fragment of a story, not a question
            key = tuple(map(id, said))
            if key not in scored:
                scored[key] = (said, self.scores(said))
            # A part says less than the whole: it must fit clearly better to count, unless it asks.
            factor = ASKING_FACTOR if part.asks else PART_FACTOR
            for i, score in scored[key][1].items():
                scores[i] = max(scores.get(i, 0.0), score * factor)
        # The emergency intent is reached through crisis words only, never by generic overlap.
        ranked = sorted(
            ((i, s) for i, s in scores.items() if i not in self.emergency and i not in self.unscored),
            key=lambda x: -x[1],
        )
        if crisis is not None:
            return Match(self.slugs[crisis], 100.0, self._alternatives(ranked[:3]), False)
        if (not ranked or ranked[0][1] < ACCEPT) and (small := self.smalltalk.match(text, lang)) is not None:
            return Match(small, 100.0, (), False)  # "дякую", "ви робот?": when the words ask nothing else
        if not ranked or ranked[0][1] < ACCEPT:
            best = round(ranked[0][1], 1) if ranked else 0.0
            return Match(None, best, self._alternatives(ranked[:3]), False)
        (top, score), runners = ranked[0], ranked[1:]
        if runners and runners[0][1] >= ACCEPT and score - runners[0][1] < MARGIN:
            # Two close candidates: no direct answer; the robot asks "X or Y?", X first.
            return Match(None, round(score, 1), self._alternatives(runners[:3]), True, confirm=self.slugs[top])
        return Match(self.slugs[top], round(score, 1), self._alternatives(runners[:3]), False)

    def _alternatives(self, ranked: Sequence[tuple[int, float]]) -> tuple[Candidate, ...]:
        return tuple(Candidate(self.slugs[i], round(s, 1)) for i, s in ranked if s >= FLOOR)

    def _crisis(self, text: str, lang: str, words: Sequence[_Word], scores: Mapping[int, float]) -> int | None:
        """The emergency intent when the utterance speaks of danger to a person."""
        if not self.emergency:
            return None
        if danger.spoken_of(text, lang):
            return min(self.emergency)
        # The emergency intent's own words count too, but only words no other intent uses:
        # "допомога" in "екстрена допомога" must not turn every request for help into a crisis.
        own = any(w.owners and w.owners <= self.emergency for w in words)
        strong = [i for i in self.emergency if own and scores.get(i, 0.0) >= EMERGENCY_ACCEPT]
        return max(strong, key=lambda i: scores[i]) if strong else None

    # -- menus ----------------------------------------------------------------------------

    def match_option(self, text: str, lang: str, options: Sequence[Node]) -> Node | None:
        """The menu option an utterance picks: by number ("2", "друге", "second") or by words."""
        if not options:
            return None
        number = spoken_number(text, lang)
        if number is not None:
            return _option_by_number(options, number)
        found = self.match(text, lang)
        confident = found.intent is not None
        for option in options:
            if confident and option.slug == found.intent:
                return option
        words = self.words(text, lang)
        named = self._option_by_words(words, options, self.own_profiles, OWN_ACCEPT)
        if named is not None and (self._title_said(words, named) or not (confident and found.score >= CERTAIN)):
            return named  # the utterance names the option itself: "пільги", "сім'ї з дітьми"
        # A confident intent inside one of these options is entered directly by the engine; the
        # options' wider vocabulary decides only when the matcher is unsure or the intent lies
        # outside this menu (as when clarifying between two candidates).
        if found.intent is None or self._ancestor_in(found.intent, options) is None:
            chosen = self._option_by_words(words, options, self.profiles, OPTION_ACCEPT)
            if chosen is not None:
                return chosen
        return self._option_holding(found, options)

    def _option_by_words(
        self, words: Sequence[_Word], options: Sequence[Node], profiles: Mapping[str, frozenset[str]], accept: float
    ) -> Node | None:
        """The option whose vocabulary explains most of the utterance, clearly more than the others."""
        total = sum(w.weight for w in words)
        if total <= 0:
            return None
        shares = []
        for option in options:
            profile = profiles.get(option.slug) or self._profile(option)
            shares.append(sum(w.weight for w in words if not w.lemmas.isdisjoint(profile)) / total)
        order = sorted(range(len(options)), key=lambda k: -shares[k])
        runner = shares[order[1]] if len(order) > 1 else 0.0
        best = order[0]
        if shares[best] < accept or shares[best] - runner < OPTION_MARGIN:
            return None
        return options[best]

    def _title_said(self, words: Sequence[_Word], node: Node) -> bool:
        """Most of the node's title (in some language) is in the utterance: "пільги" for "Пільги"."""
        said = frozenset().union(*(w.lemmas for w in words))
        for lang, text in node.texts.items():
            title = _text_words(text.title, lang)
            if title and sum(not w.isdisjoint(said) for w in title) / len(title) > TITLE_SAID:
                return True
        return False

    def _option_holding(self, found: Match, options: Sequence[Node]) -> Node | None:
        """The option holding both of two close candidates ("субсидія": which subsidy question?)."""
        if found.confirm is None or not found.ambiguous or not found.alternatives:
            return None
        holders = {self._ancestor_in(slug, options) for slug in (found.confirm, found.alternatives[0].slug)}
        return holders.pop() if len(holders) == 1 else None

    def _ancestor_in(self, slug: str, options: Sequence[Node]) -> Node | None:
        by_slug = {o.slug: o for o in options}
        current: str | None = slug
        while current is not None:
            if current in by_slug:
                return by_slug[current]
            current = self.tree.parents.get(current)
        return None


def _option_by_number(options: Sequence[Node], number: int) -> Node | None:
    """By key in a real menu; by position in a short list of candidates being clarified."""
    keys = [o.key for o in options]
    by_key = keys == list(range(1, len(options) + 1)) or (len(options) > 2 and any(keys))
    if by_key:
        return next((o for o in options if o.key == number), None)
    return options[number - 1] if 1 <= number <= len(options) else None
