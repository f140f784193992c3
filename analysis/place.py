"""Place (属地): the province / city / district a mention is about, with its administrative code.

The gazetteer is cpca's table of administrative codes (``cpca/resources/adcodes.csv``, MIT), read
as a data file: importing cpca itself fails on this environment's setuptools (it needs
``pkg_resources``) and would pull in pandas for nothing. The configured jurisdictions
(``offices.yaml``) are added on top and win on names. Short forms are matched too (云南, 昆明,
楚雄州); a bare county name is only matched in full (官渡区), because short county names collide
with ordinary words.

The code returned is the most specific *configured* jurisdiction containing the place when the
place lies inside the configured tree (so routing always finds an office, and can go up a level
by the configured parents), and the national code otherwise. Without a place in the text the
source's jurisdiction is used (``source="source"``).
"""

from __future__ import annotations

import csv
import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path

from analysis.matching import TermMatcher
from yuqing.config.offices import OfficesConfig
from yuqing.models import Place

log = logging.getLogger(__name__)

_PROVINCE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "特别行政区", "省", "市")
_SKIP_NAMES = {"市辖区", "城区", "郊区", "矿区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
_ETHNIC_MARKERS = ("族自治州", "族自治县", "自治州", "自治县")
# Short county names (官渡 for 官渡区) are matched only inside the configured provinces, and never
# these, which are ordinary words or brands far more often than places.
_COUNTY_SHORT_STOP = {
    "富民", "安宁", "麒麟", "永胜", "永平", "古城", "红塔", "大关", "威信", "江城", "新平", "开远", "双江", "华宁",
    "易门", "通海", "南华", "文山", "富宁", "弥勒", "河口", "玉龙", "云龙", "永德", "昌宁", "元阳", "金平", "石屏",
    "会泽", "马龙", "水富", "盈江", "梁河", "维西", "宁洱", "景东", "兰坪", "云县",
}


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    rank: int  # 0 province, 1 city (prefecture), 2 county / district

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"

    @property
    def city_code(self) -> str:
        return self.code[:4] + "00"


def _rank(code: str) -> int:
    if code.endswith("0000"):
        return 0
    if code.endswith("00"):
        return 1
    return 2


def _cpca_table() -> list[tuple[str, str]]:
    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        log.warning("cpca is not installed: place names limited to the configured jurisdictions")
        return []
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"
    with path.open(encoding="utf-8") as fh:
        return [(row["adcode"][:6], row["name"].strip()) for row in csv.DictReader(fh)]


def _short_forms(area: Area) -> list[str]:
    name = area.name
    forms: list[str] = []
    if area.rank == 0:
        for suffix in _PROVINCE_SUFFIXES:
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                forms.append(name[: -len(suffix)])
                break
    elif area.rank == 1:
        for marker in _ETHNIC_MARKERS:
            if marker in name:
                root = name[: name.index(marker)]
                # 楚雄彝族自治州 → 楚雄州, 楚雄 (strip the ethnic name: the root is the first two chars)
                base = root[:2] if len(root) > 2 else root
                forms += [base + "州", base]
                break
        else:
            for suffix in ("市", "地区", "盟"):
                if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                    forms.append(name[: -len(suffix)])
                    break
    return [f for f in forms if len(f) >= 2 and f != name]


_JOINERS = set("在的和与及省市州区县是到从赴往至据于对向")


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


class Gazetteer:
    def __init__(self, offices: OfficesConfig | None = None) -> None:
        areas: dict[str, Area] = {}
        for code, name in _cpca_table():
            if name not in _SKIP_NAMES and len(code) == 6:
                areas[code] = Area(code, name, _rank(code))
        self.configured: dict[str, str | None] = {}
        if offices is not None:
            for j in offices.jurisdictions:
                areas[j.code] = Area(j.code, j.name, {"province": 0, "city": 1}.get(j.level, 2))
                self.configured[j.code] = j.parent
        self.areas = areas
        aliases: dict[str, set[str]] = {}
        for area in areas.values():
            aliases.setdefault(area.name, set()).add(area.code)
        full_names = set(aliases)
        for area in areas.values():
            for form in _short_forms(area):
                if form not in full_names:
                    aliases.setdefault(form, set()).add(area.code)
        provinces = {c[:2] for c in self.configured}
        for area in areas.values():
            if area.rank == 2 and area.code[:2] in provinces:
                root = next((area.name[: area.name.index(m)] for m in _ETHNIC_MARKERS if m in area.name), None)
                if root is None and area.name[-1] in "区县市" and len(area.name) >= 3:
                    root = area.name[:-1]
                if root and len(root) >= 2 and root not in _COUNTY_SHORT_STOP and root not in full_names:
                    aliases.setdefault(root, set()).add(area.code)
        # A prefecture and its seat sharing a name (楚雄州 / 楚雄市): the bare name means the seat.
        for area in areas.values():
            if area.rank == 2 and area.name.endswith("市"):
                root = area.name[:-1]
                codes = aliases.get(root)
                if codes and any(c == area.city_code for c in codes):
                    codes.discard(area.city_code)
                    codes.add(area.code)
        self.aliases = aliases
        self.short_counties = {n for n, codes in aliases.items()
                               if len(n) == 2 and all(areas[c].rank == 2 and areas[c].name == n for c in codes)}
        self.matcher = TermMatcher(aliases)

    # -- hierarchy ------------------------------------------------------------------------------

    def parent(self, code: str) -> str | None:
        if code in self.configured:
            return self.configured[code]
        area = self.areas.get(code)
        rank = area.rank if area else _rank(code)
        candidates = [] if rank == 0 else ([code[:4] + "00", code[:2] + "0000"] if rank == 2 else [code[:2] + "0000"])
        for c in candidates:
            if c in self.areas and c != code:
                return c
        return None

    def chain(self, code: str) -> list[str]:
        """``code`` and its ancestors, nearest first."""
        out = [code]
        current = self.parent(code)
        while current is not None and current not in out:
            out.append(current)
            current = self.parent(current)
        return out

    def configured_code(self, code: str) -> str:
        """The deepest configured jurisdiction containing ``code``, else ``code`` itself."""
        for c in self.chain(code):
            if c in self.configured:
                return c
        return code

    def place_for(self, code: str, names: list[str], source: str) -> Place:
        province = city = district = None
        for c in self.chain(code):
            area = self.areas.get(c)
            if area is None:
                continue
            if area.rank == 0:
                province = area.name
            elif area.rank == 1:
                city = area.name
            else:
                district = area.name
        return Place(province=province, city=city, district=district, code=self.configured_code(code),
                     names=names, source="text" if source == "text" else "source")

    # -- extraction -----------------------------------------------------------------------------

    def extract(self, text: str, *, title_len: int = 0, fallback: str | None = None) -> Place | None:
        """The place of ``text``; names within its first ``title_len`` characters (the headline)
        weigh three times as much."""
        weights: dict[str, float] = {}
        names: list[str] = []
        found: list[tuple[str, set[str], float]] = []
        for name, start in self.matcher.finditer(text):
            before = text[start - 1] if start > 0 else ""
            if name in self.short_counties and before and _is_cjk(before) and before not in _JOINERS:
                continue  # 密云县 is not 云县: a two-character name must start a word
            found.append((name, self.aliases[name], 3.0 if start < title_len else 1.0))
            if name not in names:
                names.append(name)
        if not found:
            if fallback:
                return self.place_for(fallback, [], "source")
            return None
        unambiguous = {next(iter(codes)) for _, codes, _ in found if len(codes) == 1}
        context = {c for code in unambiguous for c in self.chain(code)}
        fallback_chain = set(self.chain(fallback)) if fallback else set()
        for _name, codes, weight in found:
            if len(codes) > 1:
                chosen = self._disambiguate(codes, context, fallback_chain)
                if chosen is None:
                    continue
            else:
                chosen = next(iter(codes))
            weights[chosen] = weights.get(chosen, 0.0) + weight
        if not weights:
            return self.place_for(fallback, names, "source") if fallback else None
        return self.place_for(self._resolve(weights), names, "text")

    def _disambiguate(self, codes: set[str], context: set[str], fallback_chain: set[str]) -> str | None:
        for pool in (context, fallback_chain):
            hits = sorted(c for c in codes if any(a in pool for a in self.chain(c)[1:]) or c in pool)
            if len(hits) == 1:
                return hits[0]
        return None

    def _resolve(self, weights: dict[str, float]) -> str:
        codes = list(weights)
        chains = {c: self.chain(c) for c in codes}
        leaves = [c for c in codes if not any(c in chains[o][1:] for o in codes if o != c)]
        if len(leaves) == 1:
            return leaves[0]
        # Weight of a leaf: its own mentions plus those of its ancestors that are not shared.
        ranked = sorted(leaves, key=lambda c: (-weights[c], c))
        top = ranked[0]
        if weights[top] > sum(weights[c] for c in ranked[1:]):
            return top
        common = [c for c in chains[top] if all(c in chains[o] for o in leaves)]
        return common[0] if common else top


_cache: dict[tuple[tuple[str, str, str, str | None], ...], Gazetteer] = {}


def gazetteer(offices: OfficesConfig) -> Gazetteer:
    """The gazetteer for a configuration's jurisdictions, built once per process."""
    key = tuple((j.code, j.name, j.level, j.parent) for j in offices.jurisdictions)
    if key not in _cache:
        _cache[key] = Gazetteer(offices)
    return _cache[key]
