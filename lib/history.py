"""Undo / redo: an immutable stack of scenarios with a plain-English change log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from lib.scenario import Scenario, describe_changes

MAX_UNDO = 200
KEPT_IN_DRAFT = 20  # undo and redo steps a saved draft keeps (the present is always kept): ~6 ms a save


@dataclass(frozen=True)
class History:
    """past <- present -> future; ``log`` holds the lines describing each step, newest last."""

    present: Scenario
    baseline: Scenario
    past: tuple[Scenario, ...] = ()
    future: tuple[Scenario, ...] = ()
    log: tuple[str, ...] = ()

    @classmethod
    def start(cls, scenario: Scenario, baseline: Scenario | None = None) -> History:
        return cls(present=scenario, baseline=baseline or scenario)

    def do(self, scenario: Scenario, names: Mapping[str, str]) -> History:
        """Make ``scenario`` current; a no-op change leaves the history as it is."""
        if scenario == self.present:
            return self
        lines = describe_changes(self.present, scenario, names) or ["Settings changed"]
        return replace(self, present=scenario, past=(*self.past, self.present)[-MAX_UNDO:], future=(),
                       log=(*self.log, *lines))

    def undo(self) -> History:
        if not self.past:
            return self
        return replace(self, present=self.past[-1], past=self.past[:-1], future=(self.present, *self.future),
                       log=(*self.log, "Undo"))

    def redo(self) -> History:
        if not self.future:
            return self
        return replace(self, present=self.future[0], past=(*self.past, self.present), future=self.future[1:],
                       log=(*self.log, "Redo"))

    def reset(self, names: Mapping[str, str]) -> History:
        """Back to the baseline (itself undoable)."""
        back = replace(self.baseline, name=self.present.name, rules=self.present.rules,
                       budget=self.present.budget, deprivation=self.present.deprivation, notes=self.present.notes)
        moved = self.do(back, names)
        return replace(moved, log=(*self.log, "Reset to baseline")) if moved is not self else self

    @property
    def can_undo(self) -> bool:
        return bool(self.past)

    @property
    def can_redo(self) -> bool:
        return bool(self.future)

    # --- serialisation (drafts: restored after a reload or a server restart) ------------
    def to_dict(self, keep: int = KEPT_IN_DRAFT) -> dict:
        """JSON-ready: the present, the baseline, the last ``keep`` undo steps, the first ``keep``
        redo steps and the change log."""
        return {"present": self.present.to_dict(), "baseline": self.baseline.to_dict(),
                "past": [s.to_dict() for s in self.past[-keep:]] if keep else [],
                "future": [s.to_dict() for s in self.future[:keep]],
                "log": list(self.log[-MAX_UNDO:])}

    @classmethod
    def from_dict(cls, data: Mapping) -> History:
        """Inverse of :meth:`to_dict` (raises ValueError for anything that is not a history)."""
        if not isinstance(data, Mapping) or "present" not in data:
            raise ValueError("not an undo history: no 'present' scenario")
        present = Scenario.from_dict(data["present"])
        baseline = Scenario.from_dict(data.get("baseline", data["present"]))
        past = tuple(Scenario.from_dict(s) for s in data.get("past", []))
        future = tuple(Scenario.from_dict(s) for s in data.get("future", []))
        ids = set(present.group_of)
        if any(set(s.group_of) != ids for s in (baseline, *past, *future)):
            raise ValueError("the undo history mixes scenarios of different centres")
        return cls(present=present, baseline=baseline, past=past, future=future,
                   log=tuple(str(line) for line in data.get("log", [])))
