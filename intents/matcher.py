"""Free text and speech → intent: lemma overlap weighted by rarity, fuzzy-corrected words, crisis first.

How an utterance is scored against an intent:

* its content words are lemmatised (both languages: people mix them) and resolved against the
  vocabulary of the whole tree, exactly or, for typos, by the closest vocabulary lemma (rapidfuzz);
* every word weighs by how rare its lemma is among intents (an inverse document frequency), and a
  word nobody's vocabulary has still weighs something, which is what keeps "як оформити паспорт"
  from matching anything: most of it is unexplained;
* the score mixes how much of the utterance the intent's vocabulary explains, how well the best
  single example phrase fits, and how much its curated keywords explain;
* an intent is only a candidate if at least one matched word is specific (an anchor), so an
  utterance made of "допомога", "оформити", "отримати" alone matches nothing.

Crisis words (violence, suicide, a threat to life) skip all that and go to the emergency intent.
Everything is precomputed in `Matcher.build`; a match touches only the postings of its words.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from intents.normalise import LANGS, content_tokens, is_known, latin_variants, lemma_set, normalise, word_set
from intents.tree import Action, Node, NodeKind, Tree

ACCEPT = 50.0  # below this an utterance matches nothing: ask to rephrase, show the menu
FLOOR = 35.0  # alternatives below this are not worth offering
MARGIN = 8.0  # the top two this close (both accepted) are ambiguous: ask "X or Y?"
EMERGENCY_ACCEPT = 40.0  # an emergency intent this strong wins whatever else matched
OPTION_ACCEPT = 0.5  # share of an utterance a menu option must explain to be chosen by words
OPTION_MARGIN = 0.15  # ... and by this much more than any other option

# Score = share of the utterance the intent explains, best phrase fit, keyword share.
W_COVER, W_PHRASE, W_KEYWORD = 0.45, 0.40, 0.15
ANCHOR_SHARE = 0.2  # an anchor lemma belongs to at most this share of intents (and at least 2)
# A word no intent knows weighs like a lemma shared by this share of intents: it is evidence that
# the utterance is about something else. A foreign-topic word weighs more.
UNKNOWN_SHARE = 0.15
FOREIGN_FACTOR = 1.5
KNOWN_FUZZY_CUTOFF = 90.0
FUZZY_PENALTY = 0.85  # a corrected typo counts a little less than the exact word
MIN_FUZZY_LEN = 5

# Lemmas and phrases that mean danger to a person, in either language; any of them sends the
# utterance to the emergency intent whatever else it mentions.
CRISIS_LEMMAS = word_set(
    """насильство насилля насилие побиття побої побои зґвалтування згвалтування изнасилование
    ґвалтувати гвалтувати насиловать изнасиловать бити побити бить избить избивать знущатися
    издеваться погрожувати угрожать суїцид суицид самогубство самоубийство кривдник абьюзер"""
)
CRISIS_PATTERNS = re.compile(
    r"\b(?:не хочу (?:більше )?(?:жити|жить)"
    r"|покінч\w* (?:з )?(?:собою|життям)|поконч\w* (?:с )?(?:собой|жизнью)"
    r"|наклас\w* на себе руки|наложить на себя руки|(?:вбити|убить|вбю|вб'ю|убью) (?:себе|себя)"
    r"|загроз\w* (?:для )?житт\w*|угроз\w* (?:для )?жизн\w*|вбива\w*|убива\w*|вб'?є|убьет)\b"
)
# Topics people ask a social-protection line about that are someone else's business (passports,
# pensions' indexation, power cuts, exchange rates...). Such a word is never explained by an intent
# and never "corrected" into one ("поїзд" is not a typo of "проїзд").
FOREIGN_LEMMAS = word_set(
    """паспорт закордонний загранпаспорт погода футбол матч рецепт борщ долар доллар євро евро
    валюта індексація индексация світло свет електрика электричество відключення отключение
    тцк мобілізація мобилизация повістка повестка штраф кредит віза виза поїзд поезд квиток билет
    вакансія вакансия зарплата бензин ціна цена магазин"""
)

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


NO_MATCH = Match(intent=None, score=0.0, alternatives=(), ambiguous=False)


@dataclass(frozen=True)
class _Phrase:
    intent: int
    words: tuple[frozenset[str], ...]  # each word's lemma alternatives
    weights: tuple[float, ...]
    total: float


@dataclass(frozen=True)
class _Word:
    """One content word of an utterance, resolved against the tree's vocabulary."""

    lemmas: frozenset[str]  # vocabulary lemmas it stands for; empty when unknown
    weight: float
    anchor: bool


def _text_words(text: str, lang: str) -> list[frozenset[str]]:
    """Lemma alternatives of each content word (numbers and one-letter words carry no topic)."""
    return [lemma_set(w, lang) for w in content_tokens(text, lang) if not w.isdigit() and len(w) > 1]


def _node_texts(node: Node) -> Iterable[tuple[str, str, str]]:
    """(kind, language, text) for everything a node understands."""
    for lang, text in node.texts.items():
        yield "title", lang, text.title
        for phrase in text.phrases:
            yield "phrase", lang, phrase
        for keyword in text.keywords:
            yield "keyword", lang, keyword


class Matcher:
    """Matches utterances against one tree; build once per published tree version."""

    def __init__(self, tree: Tree, intents: Sequence[Node]) -> None:
        self.tree = tree
        self.slugs = tuple(n.slug for n in intents)
        self.emergency = frozenset(i for i, n in enumerate(intents) if n.action is Action.EMERGENCY)
        self.phrases: list[_Phrase] = []
        self.vocab: list[set[str]] = [set() for _ in intents]
        self.keywords: list[set[str]] = [set() for _ in intents]
        self.profiles: dict[str, frozenset[str]] = {}
        self.idf: dict[str, float] = {}
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.owners: dict[str, tuple[int, ...]] = {}
        self.anchor_idf = 0.0
        self.unknown_weight = 0.0
        self.fuzzy_vocab: list[str] = []
        self._word_cache: dict[tuple[str, str], _Word | None] = {}
        self._last: tuple[str, str, Match] | None = None

    @classmethod
    def build(cls, tree: Tree) -> Matcher:
        """Precompute lemmatised phrases, vocabularies, weights, postings and menu profiles."""
        matcher = cls(tree, tree.intents())
        matcher._index_intents(tree.intents())
        matcher._index_profiles()
        return matcher

    # -- building -------------------------------------------------------------------------

    def _index_intents(self, intents: Sequence[Node]) -> None:
        raw: list[tuple[int, list[frozenset[str]]]] = []
        for i, node in enumerate(intents):
            for kind, lang, text in _node_texts(node):
                words = _text_words(text, lang)
                self.vocab[i].update(*words)
                if kind == "keyword":
                    self.keywords[i].update(*words)
                elif words:
                    raw.append((i, words))
        self._weigh(len(intents))
        for i, words in raw:
            weights = tuple(max(self.idf[a] for a in w) for w in words)
            pid = len(self.phrases)
            self.phrases.append(_Phrase(i, tuple(words), weights, sum(weights)))
            for k, alternatives in enumerate(words):
                for lemma_ in alternatives:
                    self.postings[lemma_].append((pid, k))

    def _weigh(self, n: int) -> None:
        owners: dict[str, list[int]] = defaultdict(list)
        for i, vocab in enumerate(self.vocab):
            for lemma_ in vocab:
                owners[lemma_].append(i)
        self.owners = {lemma_: tuple(ids) for lemma_, ids in owners.items()}
        self.idf = {lemma_: math.log(1 + n / len(ids)) for lemma_, ids in owners.items()}
        self.anchor_idf = math.log(1 + n / max(2.0, ANCHOR_SHARE * n))
        self.unknown_weight = math.log(1 + 1 / UNKNOWN_SHARE)
        self.fuzzy_vocab = sorted(lemma_ for lemma_ in owners if len(lemma_) >= MIN_FUZZY_LEN - 1)

    def _index_profiles(self) -> None:
        """What each node (categories too) answers to as a menu option."""
        for node, _ in self.tree.walk():
            words: set[str] = set()
            sources = [node, *node.children] if node.kind is NodeKind.CATEGORY else [node]
            for source in sources:
                for kind, lang, text in _node_texts(source):
                    if source is node or kind != "phrase":
                        words.update(*_text_words(text, lang))
            self.profiles[node.slug] = frozenset(words)

    # -- resolving words ------------------------------------------------------------------

    def _resolve(self, word: str, lang: str) -> _Word | None:
        key = (word, lang)
        if key not in self._word_cache:
            if len(self._word_cache) > 100_000:
                self._word_cache.clear()  # bound memory on a long-lived worker
            self._word_cache[key] = self._resolve_uncached(word, lang)
        return self._word_cache[key]

    def _resolve_uncached(self, word: str, lang: str) -> _Word | None:
        if word.isdigit() or len(word) < 2:
            return None
        if (lemma_set(word, lang) | {word}) & FOREIGN_LEMMAS:
            return _Word(frozenset(), self.unknown_weight * FOREIGN_FACTOR, anchor=False)
        for candidate in (word, *latin_variants(word)):
            found = self._exact(candidate, lang)
            if found is None:
                found = self._fuzzy(candidate, lang)
            if found is not None:
                return found
        return _Word(frozenset(), self.unknown_weight, anchor=False)

    def _exact(self, word: str, lang: str) -> _Word | None:
        hits = (lemma_set(word, lang) | {word}) & self.idf.keys()
        return self._word(hits, 1.0) if hits else None

    def _fuzzy(self, word: str, lang: str) -> _Word | None:
        """The vocabulary lemma closest to a misspelt word ("субсідія", "каляска").

        A word either dictionary knows is probably not a typo, so it must be much closer.
        """
        known = any(is_known(word, lang_) for lang_ in LANGS)
        best: tuple[str, float] | None = None
        for form in {word, *lemma_set(word, lang)}:
            if len(form) < MIN_FUZZY_LEN:
                continue
            cutoff = KNOWN_FUZZY_CUTOFF if known else 75.0 if len(form) >= 7 else 80.0
            found = process.extractOne(form, self.fuzzy_vocab, scorer=fuzz.ratio, score_cutoff=cutoff)
            if found is not None and (best is None or found[1] > best[1]):
                best = (found[0], found[1])
        return self._word(frozenset((best[0],)), FUZZY_PENALTY) if best else None

    def _word(self, lemmas: Iterable[str], factor: float) -> _Word:
        lemmas = frozenset(lemmas)
        weight = max(self.idf[x] for x in lemmas)
        return _Word(lemmas, weight * factor, anchor=weight >= self.anchor_idf)

    def words(self, text: str, lang: str) -> list[_Word]:
        resolved = (self._resolve(w, lang) for w in content_tokens(text, lang))
        return [w for w in resolved if w is not None]

    # -- scoring --------------------------------------------------------------------------

    def scores(self, words: Sequence[_Word]) -> dict[int, float]:
        """Score (0..100) of every intent with at least one anchor among the utterance's words."""
        total = sum(w.weight for w in words)
        if total <= 0:
            return {}
        cover: dict[int, float] = defaultdict(float)
        anchored: set[int] = set()
        for word in words:
            for i in {i for x in word.lemmas for i in self.owners.get(x, ())}:
                cover[i] += word.weight
                if word.anchor:
                    anchored.add(i)
        phrase = self._phrase_fit(words, total)
        return {
            i: 100.0
            * (
                W_COVER * cover[i] / total
                + W_PHRASE * phrase.get(i, 0.0)
                + W_KEYWORD * self._keyword_share(i, words, total)
            )
            for i in anchored
        }

    def _keyword_share(self, intent: int, words: Sequence[_Word], total: float) -> float:
        keywords = self.keywords[intent]
        return sum(w.weight for w in words if w.lemmas & keywords) / total

    def _phrase_fit(self, words: Sequence[_Word], total: float) -> dict[int, float]:
        """Best F-measure per intent between the utterance and one of its phrases (weighted words)."""
        from_query: dict[int, float] = defaultdict(float)
        covered: dict[int, int] = defaultdict(int)  # bit k set: the phrase's word k was said
        for word in words:
            touched: set[int] = set()
            for lemma_ in word.lemmas:
                for pid, k in self.postings.get(lemma_, ()):
                    covered[pid] |= 1 << k
                    touched.add(pid)
            for pid in touched:
                from_query[pid] += word.weight
        best: dict[int, float] = {}
        for pid, bits in covered.items():
            phrase = self.phrases[pid]
            recall = sum(w for k, w in enumerate(phrase.weights) if bits >> k & 1) / phrase.total
            precision = min(1.0, from_query[pid] / total)
            fit = 2 * precision * recall / (precision + recall)
            if fit > best.get(phrase.intent, 0.0):
                best[phrase.intent] = fit
        return best

    # -- matching -------------------------------------------------------------------------

    def match(self, text: str, lang: str) -> Match:
        """The intent an utterance asks for, with runners-up and whether to ask which one."""
        if self._last is not None and self._last[:2] == (text, lang):
            return self._last[2]  # the engine asks for the same utterance twice in one turn
        result = self._match(text, lang)
        self._last = (text, lang, result)
        return result

    def _match(self, text: str, lang: str) -> Match:
        words = self.words(text, lang)
        scores = self.scores(words)
        ranked = sorted(scores.items(), key=lambda item: -item[1])
        crisis = self._crisis(text, lang, words, scores)
        # The emergency intent is reached only through crisis words, never by generic overlap.
        ranked = [(i, s) for i, s in ranked if i not in self.emergency]
        if crisis is not None:
            return Match(self.slugs[crisis], 100.0, self._alternatives(ranked[:3]), False)
        if not ranked or ranked[0][1] < ACCEPT:
            best = round(ranked[0][1], 1) if ranked else 0.0
            return Match(None, best, self._alternatives(ranked[:3]), False)
        (top, score), runners = ranked[0], ranked[1:]
        ambiguous = bool(runners) and runners[0][1] >= ACCEPT and score - runners[0][1] < MARGIN
        return Match(self.slugs[top], round(score, 1), self._alternatives(runners[:3]), ambiguous)

    def _alternatives(self, ranked: Sequence[tuple[int, float]]) -> tuple[Candidate, ...]:
        return tuple(Candidate(self.slugs[i], round(s, 1)) for i, s in ranked if s >= FLOOR)

    def _crisis(self, text: str, lang: str, words: Sequence[_Word], scores: dict[int, float]) -> int | None:
        """The emergency intent when the utterance speaks of danger to a person."""
        if not self.emergency:
            return None
        said = {x for w in content_tokens(text, lang) for x in lemma_set(w, lang)}
        if said & CRISIS_LEMMAS or CRISIS_PATTERNS.search(normalise(text, lang)):
            return min(self.emergency)
        # The emergency intent's own words count too, but only those no other intent uses:
        # "допомога" in "екстрена допомога" must not turn every request for help into a crisis.
        own = any(w.lemmas and all(set(self.owners[x]) <= self.emergency for x in w.lemmas) for w in words)
        strong = [i for i in self.emergency if own and scores.get(i, 0.0) >= EMERGENCY_ACCEPT]
        return max(strong, key=lambda i: scores[i]) if strong else None

    # -- menus ----------------------------------------------------------------------------

    def match_option(self, text: str, lang: str, options: Sequence[Node]) -> Node | None:
        """The menu option an utterance picks: by number ("2", "друге", "second") or by words."""
        if not options:
            return None
        number = _spoken_number(text, lang)
        if number is not None:
            return _option_by_number(options, number)
        found = self.match(text, lang)
        confident = found.intent is not None and not found.ambiguous
        for option in options:
            if confident and option.slug == found.intent:
                return option
        by_words = self._option_by_words(text, lang, options)
        # A confident intent inside one of these options is entered directly by the engine; words
        # decide only when the matcher is unsure or the intent lies outside this menu (clarifying).
        if by_words is not None and (
            not confident or found.intent is None or self._ancestor_in(found.intent, options) is None
        ):
            return by_words
        return self._option_holding(found, options)

    def _option_by_words(self, text: str, lang: str, options: Sequence[Node]) -> Node | None:
        """The option whose title, phrases and keywords explain most of the utterance, clearly."""
        words = self.words(text, lang)
        total = sum(w.weight for w in words)
        if total <= 0:
            return None
        profiles = [self.profiles.get(o.slug) or self._profile(o) for o in options]
        shares = []
        for profile in profiles:
            hits = [w for w in words if w.lemmas & profile]
            shares.append(sum(w.weight for w in hits) / total if hits else 0.0)
        order = sorted(range(len(options)), key=lambda k: -shares[k])
        best = order[0]
        runner = shares[order[1]] if len(order) > 1 else 0.0
        if shares[best] < OPTION_ACCEPT or shares[best] - runner < OPTION_MARGIN:
            return None
        return options[best]

    def _profile(self, node: Node) -> frozenset[str]:
        return frozenset(x for _, lang, text in _node_texts(node) for w in _text_words(text, lang) for x in w)

    def _option_holding(self, found: Match, options: Sequence[Node]) -> Node | None:
        """The option under which the matched intent (and its close rival, if any) both live."""
        if found.intent is None:
            return None
        wanted = [found.intent]
        if found.ambiguous and found.alternatives:
            wanted.append(found.alternatives[0].slug)
        holders = {self._ancestor_in(slug, options) for slug in wanted}
        holder = holders.pop() if len(holders) == 1 else None
        # A confident, unambiguous intent is entered directly by the engine, not via its menu.
        return holder if holder is not None and found.ambiguous else None

    def _ancestor_in(self, slug: str, options: Sequence[Node]) -> Node | None:
        by_slug = {o.slug: o for o in options}
        current: str | None = slug
        while current is not None:
            if current in by_slug:
                return by_slug[current]
            current = self.tree.parents.get(current)
        return None


_NUMBER_FILLERS = word_set(
    "номер номером цифра цифру цифри кнопка кнопку кнопки варіант варіанту вариант варианта пункт "
    "пункту пункт опція опцію опции натискаю нажимаю натиснути нажать натисну нажму обираю вибираю "
    "выбираю the number option press"
)


def _spoken_number(text: str, lang: str) -> int | None:
    """The one number an utterance consists of ("2", "друге", "номер два"), else None."""
    words = [w for w in content_tokens(text, lang) if w not in _NUMBER_FILLERS]
    if len(words) == 1 and words[0].isdigit():
        return int(words[0])
    return None


def _option_by_number(options: Sequence[Node], number: int) -> Node | None:
    """By key in a real menu; by position in a short list of candidates (keys 1..n there)."""
    keys = [o.key for o in options]
    by_key = keys == list(range(1, len(options) + 1)) or (len(options) > 2 and any(keys))
    if by_key:
        return next((o for o in options if o.key == number), None)
    return options[number - 1] if 1 <= number <= len(options) else None
