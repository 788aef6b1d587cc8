"""What the robot listens for after a reply, for a channel that hears words (speech hints, a recogniser's
grammar): the words that pick the reply's options, and whether the citizen may say anything at all.
Pure: the published tree and the engine's reply in, words out."""

from __future__ import annotations

from dataclasses import dataclass

from intents.tree import Tree
from intents.turns import Expect, Reply


@dataclass(frozen=True)
class Listening:
    """`words`: each option's title first (the likeliest), then its phrases and keywords; `open`: the
    citizen may answer in their own words (the top menu invites them to describe the problem, and a
    questionnaire's question is answered so: "нас четверо", "так, доглядаю")."""

    words: tuple[str, ...] = ()
    open: bool = False


def listening(tree: Tree, reply: Reply, lang: str) -> Listening:
    nodes = [tree.index.get(option.target) for option in reply.options]
    pairs = zip(nodes, reply.options, strict=True)
    titles = [node.text(lang).title if node is not None else option.label for node, option in pairs]
    texts = [node.text(lang) for node in nodes if node is not None]
    examples = [word for text in texts for word in (*text.phrases, *text.keywords)]
    return Listening(words=(*titles, *examples), open=_open(tree, reply))


def _open(tree: Tree, reply: Reply) -> bool:
    if reply.expect is Expect.SCREENING:
        return True
    if reply.expect is not Expect.MENU:
        return False
    return {node.slug for node in tree.children_of(None)} <= {option.target for option in reply.options}
