"""The questionnaires in the statistics: started and completed per channel, the measures suggested (counts
only: `intents.screening.counts` keeps no conversation and no answer)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from hotline.admin.stats import Period
from intents.screening import counts
from intents.screening.flow import What


@dataclass(frozen=True)
class ScreeningFigures:
    started: Counter[str] = field(default_factory=Counter)  # by channel
    completed: Counter[str] = field(default_factory=Counter)
    suggested: Counter[str] = field(default_factory=Counter)  # by measure (intent slug)

    @property
    def channels(self) -> list[str]:
        return sorted({*self.started, *self.completed})

    def as_dict(self) -> dict[str, Any]:
        return {
            "started": dict(self.started),
            "completed": dict(self.completed),
            "suggested": dict(self.suggested.most_common()),
        }


def figures(session: Session, period: Period) -> ScreeningFigures:
    start, end = period.bounds()
    found = ScreeningFigures()
    tallies = {What.STARTED: found.started, What.COMPLETED: found.completed}
    for total in counts.totals(session, start=start, end=end):
        if total.what is What.SUGGESTED:
            found.suggested[total.intent] += total.count
        else:
            tallies[total.what][total.channel] += total.count
    return found
