"""A forecast for a population bigger than one run: a stratified random sample, scaled up.

`journey simulate --sample N` does not run every contact. The method:

1. **Strata.** Each contact's stratum is its time zone and locale (what moves send
   times, quiet hours and templates), or the attributes named with `--stratify`.
2. **Proportional allocation.** Each stratum gets `N × size / population` contacts
   (largest remainder, so the sizes add up to N), drawn without replacement: within
   a stratum the contacts with the smallest keyed hash of (seed, id) are taken, so a
   seed always draws the same sample. The sample is then self-weighting: every
   contact stands for `population / N` contacts (up to the rounding of allocation).
3. **Random groups** (Wolter, *Introduction to Variance Estimation*, ch. 2). The sample
   is dealt, stratum by stratum, into G = 10 groups, each itself a proportional
   stratified sample, and each group is simulated on its own. Every count of a group
   scaled by `population / group size` is an estimate of the population's count; the
   forecast is their mean, and its 95 % interval is `mean ± t(0.975, G − 1) × s / √G ×
   √(1 − N / population)` (s: the standard deviation of the group estimates; the last
   factor is the finite-population correction). Intervals are per count, not
   simultaneous: over many counts about one in twenty may miss.

Contacts are independent in a simulation except through journey-wide limits, which a
sample does not reproduce; those counts are estimates like the rest.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

GROUPS = 10
# t(0.975, df) for df = 1..9: the groups' estimates have G - 1 degrees of freedom
_T_975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262)
COUNTED = ("contacts", "entered", "converted", "exited", "steps", "sends_per_day")
DEFAULT_STRATA = ("timezone", "locale")

Record = Mapping[str, Any]


@dataclass(slots=True)
class SampleDesign:
    """Which contacts were drawn, dealt into groups, and what each stands for."""

    population: int
    seed: int
    strata: tuple[str, ...]
    groups: list[list[str]] = field(default_factory=list)  # contact ids per group
    stratum_sizes: dict[str, int] = field(default_factory=dict)
    lines: set[int] = field(default_factory=set)  # the input lines of the drawn contacts

    @property
    def size(self) -> int:
        return sum(len(group) for group in self.groups)


def stratum_of(record: Record, strata: Sequence[str]) -> str:
    return "|".join(str(record.get(name) or "") for name in strata)


def _key(seed: int, contact_id: str) -> int:
    digest = hashlib.blake2b(f"{seed}:{contact_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def allocate(sizes: Mapping[str, int], sample: int) -> dict[str, int]:
    """Proportional allocation with largest remainders: the parts add up to `sample`."""
    population = sum(sizes.values())
    sample = min(sample, population)
    exact = {s: sample * n / population for s, n in sizes.items()} if population else {}
    parts = {s: math.floor(x) for s, x in exact.items()}
    short = sample - sum(parts.values())
    for s in sorted(exact, key=lambda s: (parts[s] - exact[s], s))[:short]:
        parts[s] += 1
    return parts


def draw(
    records: Iterable[tuple[int, Record]],
    sample: int,
    *,
    seed: int,
    strata: Sequence[str] = DEFAULT_STRATA,
    groups: int = GROUPS,
) -> SampleDesign:
    """One pass over the contacts, `(line number, record)` in file order: count the
    strata and keep, per stratum, the `sample` contacts with the smallest keys (no
    stratum can be given more), then give each stratum its share of them.

    A contact's stratum is that of its first line (later lines update it). The lines
    of every drawn contact are in `design.lines`, for the caller to read those alone."""
    sizes: Counter[str] = Counter()
    seen: set[str] = set()
    kept: dict[str, list[tuple[int, str]]] = {}  # a max-heap of the smallest keys
    lines: dict[str, list[int]] = {}  # of the contacts some heap holds
    for number, record in records:
        contact_id = str(record["id"])
        if contact_id in seen:
            held = lines.get(contact_id)
            if held is not None:
                held.append(number)
            continue
        seen.add(contact_id)
        stratum = stratum_of(record, strata)
        sizes[stratum] += 1
        heap = kept.setdefault(stratum, [])
        item = (-_key(seed, contact_id), contact_id)
        if len(heap) < sample:
            heapq.heappush(heap, item)
            lines[contact_id] = [number]
        elif item > heap[0]:
            del lines[heapq.heappushpop(heap, item)[1]]
            lines[contact_id] = [number]
    population = len(seen)
    del seen
    parts = allocate(sizes, sample)
    count = max(2, min(groups, sample // 2)) if sample >= 4 else 1
    design = SampleDesign(population, seed, tuple(strata), [[] for _ in range(count)])
    design.stratum_sizes = dict(sizes)
    dealt = 0
    for stratum in sorted(kept):
        smallest = sorted(kept[stratum], key=lambda item: -item[0])[: parts.get(stratum, 0)]
        for _, contact_id in smallest:
            design.groups[dealt % count].append(contact_id)
            design.lines.update(lines[contact_id])
            dealt += 1
    return design


# ------------------------------------------------------------------- estimates


Path = tuple[str, ...]


def counts_of(result: Mapping[str, Any]) -> dict[Path, float]:
    """The report's counts (as `journey simulate --format json` names them), flattened:
    `entered`, `exited.completed`, `steps.welcome.outcomes.sent`, `sends_per_day.2026-03-02`."""
    flat: dict[Path, float] = {}

    def walk(prefix: Path, value: Any) -> None:
        if isinstance(value, bool):
            return
        if isinstance(value, int | float):
            flat[prefix] = float(value)
        elif isinstance(value, Mapping):
            for key, inner in value.items():
                walk((*prefix, str(key)), inner)

    for name in COUNTED:
        walk((name,), result.get(name))
    return flat


@dataclass(frozen=True, slots=True)
class Estimate:
    value: float
    low: float
    high: float


def estimate(
    groups: Sequence[Mapping[Path, float]], sizes: Sequence[int], design: SampleDesign
) -> dict[Path, Estimate]:
    """Each count's forecast for the whole population, with its 95 % interval."""
    names = sorted({name for group in groups for name in group})
    scaled = [
        {name: group.get(name, 0.0) * design.population / size for name in names}
        for group, size in zip(groups, sizes, strict=True)
        if size
    ]
    count = len(scaled)
    fraction = design.size / design.population if design.population else 1.0
    result: dict[Path, Estimate] = {}
    for name in names:
        values = [group[name] for group in scaled]
        mean = sum(values) / count
        if count > 1:
            spread = math.sqrt(sum((v - mean) ** 2 for v in values) / (count - 1))
            half = _T_975[min(count - 1, len(_T_975)) - 1] * spread / math.sqrt(count)
            half *= math.sqrt(max(0.0, 1.0 - fraction))
        else:
            half = math.inf
        result[name] = Estimate(mean, max(0.0, mean - half), mean + half)
    return result


def scaled_result(first: Mapping[str, Any], estimates: Mapping[Path, Estimate]) -> dict[str, Any]:
    """The first group's report with every count replaced by its rounded forecast."""
    result = dict(first)

    def place(path: Path, value: float) -> None:
        node: dict[str, Any] = result
        for key in path[:-1]:
            inner = node.get(key)
            inner = dict(inner) if isinstance(inner, Mapping) else {}
            node[key] = inner
            node = inner
        node[path[-1]] = round(value)

    for counted in COUNTED:  # copied: counts absent from the first group get added
        if isinstance(result.get(counted), Mapping):
            result[counted] = dict(result[counted])
    for path, found in estimates.items():
        place(path, found.value)
    return result


def shown_name(path: Path) -> str:
    return ".".join(path)
