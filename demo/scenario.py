"""The demo scenario: one day in 云南省, as data.

Every item the demo web serves is listed here with the site it appears on, the moment it appears
(``appear_at``, an offset from the scenario day's 00:00 Asia/Shanghai; negative offsets are items
already online before the day starts) and what the pipeline is expected to make of it
(``incident``, ``place``). :data:`SCENARIO_INCIDENTS` describes each incident's expected place,
priority, severity and the official release that does (or does not) appear, so tests of other
packages and the demo run can check outcomes against it.

Sites: ``news`` (provincial news, UTF-8), ``local`` (local news in GBK), ``rss``, ``weibo``
(self-media timeline), ``gov_weibo`` (the provincial government's official account), ``portal``
(政府信息公开) and ``board`` (领导留言板).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable
from typing import Any, Literal

from yuqing.clock import TZ

Site = Literal["news", "local", "rss", "weibo", "gov_weibo", "portal", "board"]
SITES: tuple[Site, ...] = ("news", "local", "rss", "weibo", "gov_weibo", "portal", "board")

# report: a media report; post: a self-media post; reprint: 转载 of another item; policy: a policy
# document; interpretation: 政策解读; release: an authoritative release (情况通报); rebuttal: 辟谣;
# press_conference: a press conference notice; board_message: 留言板 message; ordinary: should not alert.
ItemKind = Literal[
    "report", "post", "reprint", "policy", "interpretation", "release", "rebuttal",
    "press_conference", "board_message", "ordinary",
]

# The configured source each site is crawled by (config/sources.yaml).
SITE_SOURCE: dict[Site, str] = {
    "news": "demo-news",
    "local": "demo-local-news",
    "rss": "demo-rss",
    "weibo": "demo-weibo",
    "gov_weibo": "demo-gov-weibo",
    "portal": "demo-portal",
    "board": "demo-board",
}
OFFICIAL_SITES: frozenset[Site] = frozenset({"gov_weibo", "portal"})

DEFAULT_DAY = dt.date(2026, 11, 23)

_OFFSET = re.compile(r"^(?:(?P<days>-?\d+)d\s+)?(?P<h>\d{1,2}):(?P<m>\d{2})$")


def at(text: str) -> dt.timedelta:
    """An offset from the scenario day's midnight: ``"06:40"``, ``"-1d 14:05"`` (the day before)."""
    match = _OFFSET.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not an offset like '06:40' or '-1d 14:05'")
    return dt.timedelta(days=int(match["days"] or 0), hours=int(match["h"]), minutes=int(match["m"]))


@dataclasses.dataclass(frozen=True)
class Reply:
    """An office's reply to a board message; shown once its time has come."""

    office: str
    text: str
    at: dt.timedelta


@dataclasses.dataclass(frozen=True)
class Item:
    site: Site
    id: str  # unique across the scenario; used in URLs
    title: str  # for weibo posts the title is the post text
    body: tuple[str, ...]  # paragraphs
    appear_at: dt.timedelta
    kind: ItemKind
    incident: str | None = None  # key into SCENARIO_INCIDENTS; None = should not alert
    place: str | None = None  # expected place code (属地) found in the text
    author: str | None = None  # reporter, weibo screen name or board author
    publisher: str | None = None  # 来源 named on the page
    reprint_of: str | None = None  # scenario id of the original this item reprints
    relative_time: bool = False  # show "3小时前 / 昨天 14:05" instead of an absolute time (GBK site)
    index_no: str | None = None  # portal: 索引号
    doc_no: str | None = None  # portal: 文号
    issued_at: dt.date | None = None  # portal: 发文日期 (None = the publication day)
    reply: Reply | None = None  # board: the office's reply
    reposts: int = 0  # weibo: 转发数 (reach)

    @property
    def source_id(self) -> str:
        return SITE_SOURCE[self.site]

    @property
    def official(self) -> bool:
        return self.site in OFFICIAL_SITES

    @property
    def text(self) -> str:
        return "\n".join(self.body)

    def published_at(self, day: dt.date) -> dt.datetime:
        return day_start(day) + self.appear_at

    def is_visible(self, day: dt.date, now: dt.datetime) -> bool:
        return self.published_at(day) <= now


@dataclasses.dataclass(frozen=True)
class IncidentSpec:
    """What the pipeline should make of one scenario incident."""

    key: str
    title: str
    priority: str  # the expected main collection priority
    subtopics: tuple[str, ...]
    place_code: str
    place_name: str
    level: str | None  # expected severity level (I–IV) where the rules decide it; None = not pinned
    handling_kind: str | None
    first_at: dt.timedelta  # the first mention appears
    release_at: dt.timedelta | None  # first official release on an official source; None = none that day
    release_item: str | None
    expected_clocks: dict[str, str]  # clock rule id → state at the end of the day (met/missed/running)
    policy_document: bool = False
    board_message: bool = False
    also_places: tuple[str, ...] = ()  # other codes a correct place finder may give (parent or an unlisted district)
    note: str = ""
    # When a later report's figures raised the level to the expected one (its clocks open then);
    # None = the expected level holds from the first report with figures.
    upgrade_at: dt.timedelta | None = None


def _post(site: Site, item_id: str, text: str, appear_at: dt.timedelta, kind: ItemKind, **fields: Any) -> Item:
    """A microblog post: its title is its text."""
    return Item(site, item_id, text, (text,), appear_at, kind, **fields)


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=TZ)


# --- incidents -------------------------------------------------------------------------------------

SCENARIO_INCIDENTS: tuple[IncidentSpec, ...] = (
    IncidentSpec(
        key="chuxiong_explosion", title="楚雄市化工企业爆炸事故（11死12伤）",
        priority="emergency", subtopics=("work_safety",), place_code="532301", place_name="楚雄市",
        level="II", handling_kind="major_problem",
        first_at=at("06:05"), release_at=at("08:50"), release_item="p-chx-release",
        expected_clocks={"authoritative_info": "met", "press_conference": "met"}, also_places=("532300",),
        note="5时40分爆炸；06:05 首条微博，06:40 云南日报网报道（3死，较大III级），07:10 云南网报道死亡人数"
             "升至11人（升为重大II级，5小时、24小时时限自此起算），07:30 春城晚报网转载，"
             "08:50 省政府门户情况通报（11死12伤；事实、措施、处置结果），16:00 新闻发布会。",
        upgrade_at=at("07:10"),
    ),
    IncidentSpec(
        key="guandu_mall_fire", title="昆明市官渡区商场火灾（10死5伤）",
        priority="emergency", subtopics=(), place_code="530111", place_name="官渡区",
        level="II", handling_kind="major_problem",
        first_at=at("13:20"), release_at=None, release_item=None,
        expected_clocks={"authoritative_info": "missed", "press_conference": "running"}, also_places=("530100",),
        note="13:20 首条微博，13:50 云南日报网报道2人死亡（一般IV级），14:10 云南网报道死亡人数升至10人"
             "（升为重大II级，时限自14:10起算）；全天没有官方发布，5小时时限超时并升级。",
        upgrade_at=at("14:10"),
    ),
    IncidentSpec(
        key="qujing_unpaid_wages", title="曲靖市麒麟区工地拖欠农民工工资",
        priority="public_interest", subtopics=("employment",), place_code="530300", place_name="曲靖市",
        level=None, handling_kind="difficulty",
        first_at=at("08:30"), release_at=at("17:30"), release_item="b-qj-01",
        expected_clocks={"board_reply": "met"}, board_message=True, also_places=("530302",),
        note="麒麟区（530302）不在 offices.yaml 中，属地归曲靖市。08:30 领导留言板留言，11:00 云南日报网报道，"
             "17:30 曲靖市人社局在留言板答复。",
    ),
    IncidentSpec(
        key="kunming_water_rumour", title="网传“昆明自来水被污染”（谣言）",
        priority="false_info", subtopics=(), place_code="530100", place_name="昆明市",
        level=None, handling_kind="false_info",
        first_at=at("09:40"), release_at=at("11:30"), release_item="gw-water-01",
        expected_clocks={"response_48h": "met"},
        note="09:40 起微博传播、10:50 本地媒体报道抢购；11:30 云南发布辟谣，12:00 门户辟谣说明。",
    ),
    IncidentSpec(
        key="business_env_policy", title="《云南省进一步优化营商环境若干措施》及政策解读",
        priority="decisions", subtopics=("business_environment",), place_code="530000", place_name="云南省",
        level=None, handling_kind=None,
        first_at=at("09:30"), release_at=at("16:30"), release_item="p-policy-02",
        expected_clocks={"policy_interpretation": "met"}, policy_document=True,
        note="09:30 门户公开政策文件（云政发〔2026〕31号），开始3个工作日的解读时限（文件本身不能完成该时限）；"
             "16:30 省政府门户发布该文件的政策解读（引用文号），时限完成。",
    ),
    IncidentSpec(
        key="wuhua_school_places", title="五华区小学学位紧张",
        priority="public_interest", subtopics=("schooling",), place_code="530102", place_name="五华区",
        level=None, handling_kind="difficulty",
        first_at=at("10:15"), release_at=None, release_item=None,
        expected_clocks={"board_reply": "running"}, board_message=True, also_places=("530100",),
        note="10:15 领导留言板留言，当天未答复（限时办结时限计时中）。",
    ),
    IncidentSpec(
        key="dali_food_poisoning", title="大理市一中学疑似食物中毒（23名学生送医）",
        priority="emergency", subtopics=("food_drug_safety", "schooling"), place_code="532901",
        place_name="大理市", level=None, handling_kind="major_problem",
        first_at=at("12:00"), release_at=at("15:30"), release_item="gw-dali-01",
        expected_clocks={"response_48h": "met"}, also_places=("532900",),
        note="12:00 微博，12:40 云南日报网报道；15:30 云南发布转发大理市通报。无死亡，不应定为I/II级，"
             "故无5小时时限（适用48小时回应）。",
    ),
    IncidentSpec(
        key="panlong_truck_rollover", title="昆明市盘龙区渣土车侧翻事故（3死2伤）",
        priority="emergency", subtopics=(), place_code="530103", place_name="盘龙区",
        level="III", handling_kind="major_problem",
        first_at=at("16:10"), release_at=at("18:30"), release_item="gw-pl-01",
        expected_clocks={"response_48h": "met"}, also_places=("530100",),
        note="16:10 微博，16:40 云南日报网报道3人死亡；18:30 云南发布转发警情通报。3人死亡为较大（III级），"
             "不适用5小时、24小时时限（适用48小时回应）。",
    ),
    IncidentSpec(
        key="metro_late_service", title="建议延长地铁末班车时间（留言）",
        priority="public_interest", subtopics=(), place_code="530100", place_name="昆明市",
        level=None, handling_kind="suggestion",
        first_at=at("-1d 09:12"), release_at=at("-1d 17:00"), release_item="b-metro-01",
        expected_clocks={"board_reply": "met"}, board_message=True,
        note="前一天的建设性建议，已于前一天答复。",
    ),
)

INCIDENTS_BY_KEY: dict[str, IncidentSpec] = {spec.key: spec for spec in SCENARIO_INCIDENTS}

# --- items -------------------------------------------------------------------------------------------

_CHX_REPORT = (
    "云南日报网讯（记者 李明）11月23日5时40分许，楚雄彝族自治州楚雄市经济技术开发区内云南某精细化工"
    "有限公司一生产车间发生爆炸，事故已造成3人死亡、12人受伤，伤者已送往楚雄州人民医院救治，其中2人伤势较重。",
    "事故发生后，楚雄州、楚雄市立即启动应急预案，应急管理、消防救援、卫生健康、生态环境等部门第一时间赶赴现场"
    "开展救援处置。据现场目击者介绍，爆炸发生时声响巨大，周边数公里内均有震感，部分居民房屋玻璃被震碎。",
    "记者6时许在现场看到，事故车间上空仍有黑烟，消防救援人员正在进行冷却作业，周边道路已实行交通管制，"
    "附近村民已被组织疏散转移。环境监测部门正在对周边空气和水体开展监测。",
    "事故原因正在进一步调查中。",
)

SCENARIO_ITEMS: tuple[Item, ...] = (
    # ---- before the day ------------------------------------------------------------------------
    Item("news", "n-ord-y1", "滇中引水工程昆明段隧洞全线贯通", (
        "云南日报网讯 11月22日，随着最后一方岩体被凿通，滇中引水工程昆明段龙泉倒虹吸隧洞全线贯通，"
        "标志着工程建设取得重要阶段性进展。",
        "滇中引水工程是国务院确定的172项节水供水重大水利工程之一，建成后将有效缓解滇中地区水资源短缺问题。"
        "工程建设单位表示，将在确保质量和安全的前提下加快推进后续工程建设。",
    ), at("-1d 10:00"), "ordinary", author="赵雪", publisher="云南日报网"),
    Item("news", "n-ord-y2", "省运会田径比赛收官 昆明代表团金牌数居首", (
        "云南日报网讯 11月22日，云南省第十七届运动会田径比赛在玉溪市高原体育训练基地落下帷幕。"
        "经过五天的激烈角逐，昆明代表团以21枚金牌位列田径项目金牌榜首位，曲靖、红河代表团分列二、三位。",
        "本届省运会共设田径、游泳、篮球等32个大项，全省16个州（市）代表团的4000余名运动员参赛。",
    ), at("-1d 16:20"), "ordinary", author="钱锋", publisher="云南日报网"),
    Item("news", "n-ord-y3", "“古滇青铜”特展在云南省博物馆开展", (
        "云南日报网讯 11月22日，“古滇青铜——云南青铜文明特展”在云南省博物馆开展，"
        "展出牛虎铜案、贮贝器等珍贵文物260余件（套）。",
        "展览将持续至明年3月，市民可通过省博物馆官方网站和微信公众号免费预约参观。",
    ), at("-1d 20:00"), "ordinary", author="孙悦", publisher="云南日报网"),
    Item("local", "g-ord-y1", "红嘴鸥如约而至 海埂大坝迎来观鸥热", (
        "本报讯（记者 周琳）随着气温逐渐降低，今年首批从西伯利亚飞来的红嘴鸥已陆续抵达昆明。"
        "昨日是周末，海埂大坝、翠湖公园游人如织，不少市民带着孩子前来观鸥、喂鸥。",
        "昆明市林草部门提醒，喂食红嘴鸥请使用专用鸥粮，不要投喂面包、薯片等食品，文明观鸥。",
    ), at("-1d 14:05"), "ordinary", author="周琳", publisher="春城晚报网", relative_time=True),
    Item("rss", "r-ord-y1", "云南非遗展演周在昆明开幕", (
        "11月22日晚，2026年云南省非物质文化遗产展演周在昆明云南大剧院开幕，"
        "来自全省各地的30余个非遗项目集中亮相，彝族海菜腔、傣族孔雀舞等精彩节目赢得阵阵掌声。",
    ), at("-1d 18:30"), "ordinary", publisher="云南网"),
    Item("portal", "p-ord-y1", "云南省人民政府关于公布第六批省级非物质文化遗产代表性项目名录的通知", (
        "各州、市人民政府，省直各委、办、厅、局：",
        "省人民政府批准省文化和旅游厅确定的第六批省级非物质文化遗产代表性项目名录（共计98项），现予公布。",
        "各地、各有关部门要认真贯彻“保护为主、抢救第一、合理利用、传承发展”的工作方针，"
        "切实做好非物质文化遗产的保护、管理和合理利用工作。",
    ), at("-3d 10:00"), "ordinary", publisher="云南省人民政府办公厅",
        index_no="11530000015355000X/2026-01198", doc_no="云政发〔2026〕29号", issued_at=dt.date(2026, 11, 18)),
    Item("board", "b-metro-01", "建议延长地铁末班车运营时间", (
        "尊敬的领导：我在呈贡上班，经常加班到晚上十点以后，地铁末班车时间太早，只能打车回家，"
        "每月交通费支出很大。建议在周五、周六适当延长地铁1号线、4号线末班车运营时间，方便市民夜间出行。谢谢！",
    ), at("-1d 09:12"), "board_message", incident="metro_late_service", place="530100", author="呈贡上班族",
        reply=Reply("昆明市交通运输局", (
            "您好！感谢您对昆明轨道交通发展的关心。经与昆明地铁运营有限公司研究，自12月1日起，"
            "每周五、周六及法定节假日前一天，地铁1号线、4号线末班车运营时间延长30分钟。"
            "我们将根据客流情况持续优化运营组织，欢迎继续提出宝贵意见。"
        ), at("-1d 17:00"))),

    # ---- (1) 楚雄市化工企业爆炸 -------------------------------------------------------------------
    _post("weibo", "w-chx-01", (
        "楚雄开发区那边刚才一声巨响，窗户都在震，远处冒黑烟，有没有人知道什么情况？#楚雄#"
    ), at("06:05"), "post", incident="chuxiong_explosion", place="532301", author="楚雄身边事", reposts=312),
    _post("weibo", "w-chx-02", (
        "楚雄市经开区一家化工厂发生爆炸，现场浓烟滚滚，消防车已经赶到，听说有人员伤亡，附近的朋友注意安全！"
    ), at("06:20"), "post", incident="chuxiong_explosion", place="532301", author="彝乡小记者", reposts=1045),
    Item("news", "n-chx-01", "楚雄市一化工企业发生爆炸 已造成3人死亡12人受伤", _CHX_REPORT,
         at("06:40"), "report", incident="chuxiong_explosion", place="532301", author="李明", publisher="云南日报网"),
    Item("rss", "r-chx-01", "楚雄化工厂爆炸事故死亡人数升至11人 周边群众已疏散", (
        "11月23日5时40分许，楚雄市经济技术开发区一化工企业发生爆炸。截至7时，事故死亡人数已上升至11人，另有12人受伤。"
        "当地已启动应急预案，周边群众已疏散，事故原因正在调查。",
    ), at("07:10"), "report", incident="chuxiong_explosion", place="532301", publisher="云南网"),
    Item("local", "g-chx-01", "楚雄市一化工企业发生爆炸 已造成3人死亡12人受伤", (
        *_CHX_REPORT[:2],
        "记者6时许在现场看到，事故车间上空仍有黑烟，消防救援人员正在进行冷却作业，周边道路已实行交通管制，"
        "附近村民已被组织疏散转移。环境监测部门正在对周边空气和水体开展监测。事故原因正在进一步调查中。",
        "（责任编辑：张芳）",
    ), at("07:30"), "reprint", incident="chuxiong_explosion", place="532301", publisher="云南日报网",
        reprint_of="n-chx-01"),
    _post("weibo", "w-chx-03", (
        "【楚雄一化工厂爆炸已致11死12伤】今晨5时40分许，楚雄市经济技术开发区一化工企业发生爆炸，"
        "已造成11人死亡、12人受伤，事故原因正在调查。愿伤者平安！"
    ), at("07:45"), "post", incident="chuxiong_explosion", place="532301", author="昆明热点", reposts=2210),
    Item("portal", "p-chx-release", "关于楚雄市“11·23”化工企业爆炸事故的情况通报", (
        "11月23日5时40分许，楚雄市经济技术开发区云南某精细化工有限公司一生产车间发生爆炸事故。"
        "经核实，事故共造成11人死亡、12人受伤（其中2人重伤），伤者均已送医救治，目前生命体征平稳。",
        "事故发生后，省委、省政府高度重视，省政府分管领导率省应急管理厅、省卫生健康委、省生态环境厅等部门"
        "负责同志第一时间赶赴现场指导处置，楚雄州、楚雄市立即启动突发事件应急预案。",
        "目前，现场明火已于7时15分全部扑灭，未发生次生灾害；周边1公里范围内1260名群众已全部安全转移安置；"
        "环境监测数据显示，周边空气、地表水主要指标未见异常。涉事企业已全面停产，企业主要负责人已被公安机关依法控制。",
        "省政府已成立事故调查组，全面调查事故原因，依法依规严肃追究相关责任。下一步，全省将立即开展"
        "危险化学品安全生产专项整治，坚决防范类似事故发生。有关情况将及时向社会发布。",
    ), at("08:50"), "release", incident="chuxiong_explosion", place="532301", publisher="云南省人民政府办公厅",
        index_no="11530000015355000X/2026-01231"),
    _post("gov_weibo", "gw-chx-01", (
        "【楚雄市“11·23”化工企业爆炸事故情况通报】11月23日5时40分许，楚雄市经济技术开发区"
        "一化工企业发生爆炸，造成11人死亡、12人受伤，伤者正在全力救治。现场明火已扑灭，周边1260名群众已安全转移，"
        "环境监测未见异常，企业负责人已被控制，事故调查组已成立。"
    ), at("08:55"), "release", incident="chuxiong_explosion", place="532301", author="云南发布", reposts=3560),
    Item("news", "n-chx-02", "楚雄化工企业爆炸事故伤员救治和善后工作有序推进", (
        "云南日报网讯（记者 李明 杨帆）楚雄市“11·23”化工企业爆炸事故发生后，省、州、市三级医疗专家组"
        "已进驻楚雄州人民医院，对12名受伤人员实行“一人一策”救治。截至23日10时，2名重伤员病情稳定。",
        "楚雄市已抽调工作人员组成善后工作组，一对一做好遇难者家属安抚工作。转移安置点已为群众提供食宿保障。",
    ), at("10:30"), "report", incident="chuxiong_explosion", place="532301", author="李明", publisher="云南日报网"),
    _post("weibo", "w-chx-04", (
        "楚雄爆炸那家厂去年就被附近村民投诉过有刺鼻异味，为什么还能一直生产？希望彻查到底，给遇难者一个交代。"
    ), at("12:10"), "post", incident="chuxiong_explosion", place="532301", author="滇中观察", reposts=876),
    Item("portal", "p-chx-presser", "楚雄市“11·23”化工企业爆炸事故新闻发布会召开", (
        "11月23日15时，省政府新闻办在楚雄市召开楚雄市“11·23”化工企业爆炸事故新闻发布会，"
        "省应急管理厅、省卫生健康委、楚雄州人民政府有关负责同志通报事故救援处置进展并回答记者提问。",
        "发布会介绍，事故共造成11人死亡、12人受伤，伤员均在医院接受治疗；遇难者善后工作正在进行；"
        "事故调查组已进驻现场，初步判断事故系车间反应釜超压引发，具体原因正在调查。",
    ), at("16:00"), "press_conference", incident="chuxiong_explosion", place="532301",
        publisher="云南省人民政府新闻办公室", index_no="11530000015355000X/2026-01236"),

    # ---- (3) 曲靖市拖欠农民工工资 --------------------------------------------------------------------
    Item("board", "b-qj-01", "曲靖市麒麟区一工地拖欠农民工工资近半年", (
        "尊敬的领导：我们是在曲靖市麒麟区某花园二期工地干活的农民工，一共47人，从今年6月到现在已经快半年"
        "没拿到工资了，总共拖欠工资约136万元。",
        "找了包工头，包工头说开发商没给钱；找了开发商，开发商又说工程款已经付给总包了，互相推诿。"
        "眼看快过年了，家里老人孩子都等着钱用，恳请领导帮帮我们！",
    ), at("08:30"), "board_message", incident="qujing_unpaid_wages", place="530300", author="王师傅",
        reply=Reply("曲靖市人力资源和社会保障局", (
            "王师傅您好：收到您的留言后，我局高度重视，立即会同麒麟区人社局、住建局到项目现场调查核实。"
            "经查，该项目总承包单位存在拖欠农民工工资问题，涉及47人共136万元。目前已责令总承包单位在"
            "12月5日前足额支付，并启动工资保证金动用程序先行垫付部分工资。我们将持续跟踪督办，"
            "确保农民工工资按时足额发放。如有疑问，请拨打劳动保障监察举报电话12333。"
        ), at("17:30"))),
    Item("news", "n-qj-01", "曲靖一工地47名农民工讨薪半年无果", (
        "云南日报网讯（记者 陈刚）近日，曲靖市麒麟区某住宅项目二期工地的47名农民工反映，"
        "他们从今年6月起被拖欠工资，累计约136万元，多次讨要无果。",
        "记者走访了解到，该项目总包单位与开发商之间存在工程款纠纷，农民工讨薪时遭遇相互推诿。"
        "根据《保障农民工工资支付条例》，建设单位和施工总承包单位对拖欠农民工工资负有清偿责任。",
        "记者已将有关情况反映至曲靖市人社部门，将持续关注。",
    ), at("11:00"), "report", incident="qujing_unpaid_wages", place="530300", author="陈刚", publisher="云南日报网"),
    _post("weibo", "w-qj-01", (
        "曲靖麒麟区又有农民工讨薪，干了半年活一分钱拿不到，这个冬天怎么过？拖欠工资的老板就该严查！"
    ), at("11:20"), "post", incident="qujing_unpaid_wages", place="530300", author="曲靖生活圈", reposts=421),
    Item("local", "g-qj-01", "讨薪难？曲靖麒麟区一工地农民工盼回家过年", (
        "本报讯（记者 何晓）“干了半年活，一分钱没拿到，过年都不敢给家里打电话。”在曲靖市麒麟区"
        "某花园二期工地，来自宣威的农民工老李说。据了解，该工地47名农民工被拖欠工资约136万元。",
        "律师提醒，农民工遇到欠薪可以向当地劳动保障监察机构投诉，也可拨打12333热线。",
    ), at("12:45"), "report", incident="qujing_unpaid_wages", place="530300", author="何晓",
        publisher="春城晚报网", relative_time=True),

    # ---- (4) 网传“昆明自来水被污染” -------------------------------------------------------------------
    _post("weibo", "w-water-01", (
        "网传昆明自来水被污染了，说是水源地出了问题，今天千万别喝自来水，赶紧去超市囤桶装水！转给家人朋友！"
    ), at("09:40"), "post", incident="kunming_water_rumour", place="530100", author="昆明生活通", reposts=5230),
    _post("weibo", "w-water-02", (
        "刚才家族群里都在转，说昆明自来水被污染，官渡、盘龙都要停水了，楼下超市桶装水已经被抢光了，真的假的？"
    ), at("10:05"), "post", incident="kunming_water_rumour", place="530100", author="春城小灵通", reposts=1980),
    _post("weibo", "w-water-03", (
        "超市矿泉水都卖空了，网传昆明自来水被污染，有没有官方说法？求辟谣"
    ), at("10:20"), "post", incident="kunming_water_rumour", place="530100", author="五华吃货", reposts=640),
    Item("local", "g-water-01", "网传昆明自来水被污染 多家超市桶装水遭抢购", (
        "本报讯（记者 刘洋）今天上午，一则“昆明自来水被污染、不要饮用自来水”的消息在微信群和微博上大量转发，"
        "记者走访发现，五华区、官渡区多家超市的桶装水和瓶装水被市民大量购买，部分货架已经售空。",
        "记者就此向昆明市水务部门求证，工作人员表示正在核实情况，将尽快向社会发布权威信息。",
    ), at("10:50"), "report", incident="kunming_water_rumour", place="530100", author="刘洋",
        publisher="春城晚报网", relative_time=True),
    _post("gov_weibo", "gw-water-01", (
        "【辟谣】网传“昆明自来水被污染”系不实信息。经昆明市水务局、昆明市生态环境局核实，"
        "昆明主城区各水源地及水厂出厂水水质检测结果均符合国家《生活饮用水卫生标准》，供水正常，市民可放心饮用。"
        "该信息系网民编造，公安机关已依法调查处理。请广大市民不信谣、不传谣。"
    ), at("11:30"), "rebuttal", incident="kunming_water_rumour", place="530100", author="云南发布", reposts=8120),
    Item("portal", "p-water-rebut", "关于网传“昆明自来水被污染”的辟谣说明", (
        "近日，网络上流传“昆明自来水被污染、不要饮用自来水”的信息，引起部分市民恐慌。经昆明市水务局、"
        "昆明市生态环境局、昆明市卫生健康委联合核查，现将有关情况说明如下：",
        "一、昆明主城区松华坝、云龙等水源地水质稳定，各水厂出厂水和管网末梢水水质检测结果均符合国家"
        "《生活饮用水卫生标准》（GB 5749—2022），主城区供水正常，不存在自来水被污染的情况。",
        "二、经公安机关调查，该信息系网民王某为吸引关注编造发布，公安机关已依法对其进行查处。",
        "三、请广大市民通过官方渠道获取信息，不信谣、不传谣。如发现水质异常，可拨打供水服务热线反映。",
    ), at("12:00"), "rebuttal", incident="kunming_water_rumour", place="530100", publisher="云南省人民政府办公厅",
        index_no="11530000015355000X/2026-01233"),
    Item("news", "n-water-01", "昆明供水水质正常 “自来水被污染”系谣言", (
        "云南日报网讯（记者 吴静）针对网传“昆明自来水被污染”一事，昆明市水务局23日作出回应，"
        "主城区各水厂出厂水水质均符合国家标准，供水正常，该信息系谣言，造谣者已被公安机关查处。",
        "记者下午走访发现，此前出现抢购桶装水的超市已恢复正常，市民情绪平稳。",
    ), at("13:00"), "report", incident="kunming_water_rumour", place="530100", author="吴静", publisher="云南日报网"),

    # ---- (5) 政策文件及其解读 ------------------------------------------------------------------------
    Item("portal", "p-policy-01", "云南省人民政府关于印发云南省进一步优化营商环境若干措施的通知", (
        "各州、市人民政府，省直各委、办、厅、局：",
        "现将《云南省进一步优化营商环境若干措施》印发给你们，请认真贯彻执行。",
        "云南省进一步优化营商环境若干措施",
        "一、压缩企业开办时间。全面推行企业开办“一网通办”，企业开办全流程压缩至1个工作日内办结。",
        "二、深化审批制度改革。工程建设项目审批时间压缩至60个工作日以内，推行告知承诺制。",
        "三、规范涉企收费。全面清理规范涉企收费项目，严禁各类违规收费。",
        "四、清理拖欠企业账款。建立拖欠企业账款清理长效机制，2027年6月底前完成存量清理。",
        "五、加强要素保障。降低企业用水、用电、用气成本，完善融资担保体系。",
        "六、强化监督问责。将营商环境工作纳入年度综合考评，对推诿扯皮、不作为乱作为的严肃问责。",
    ), at("09:30"), "policy", incident="business_env_policy", place="530000", publisher="云南省人民政府办公厅",
        index_no="11530000015355000X/2026-01232", doc_no="云政发〔2026〕31号", issued_at=dt.date(2026, 11, 20)),
    Item("news", "n-policy-01", "我省出台进一步优化营商环境若干措施", (
        "云南日报网讯（记者 郑洁）省政府日前印发《云南省进一步优化营商环境若干措施》，从压缩企业开办时间、"
        "深化审批制度改革、规范涉企收费、清理拖欠企业账款等6个方面提出具体举措。",
        "根据措施，全省企业开办全流程将压缩至1个工作日内办结，工程建设项目审批时间压缩至60个工作日以内。",
    ), at("11:40"), "report", incident="business_env_policy", place="530000", author="郑洁", publisher="云南日报网"),
    _post("weibo", "w-policy-01", (
        "云南营商环境新政出来了，企业开办1个工作日办结，工程审批60个工作日以内，希望真正落实到位，别只停留在纸面上。"
    ), at("14:00"), "post", incident="business_env_policy", place="530000", author="云南企业家俱乐部", reposts=150),
    Item("portal", "p-policy-02", "《云南省进一步优化营商环境若干措施》政策解读", (
        "一、出台背景",
        "为深入贯彻党中央、国务院关于优化营商环境的决策部署，进一步激发市场主体活力，省政府制定印发了"
        "《云南省进一步优化营商环境若干措施》（云政发〔2026〕31号）。",
        "二、主要内容",
        "《若干措施》共6条，重点围绕企业开办、审批制度改革、涉企收费、拖欠企业账款清理、要素保障和监督问责"
        "等方面提出具体举措。其中，企业开办全流程压缩至1个工作日内办结，工程建设项目审批时间压缩至60个工作日以内。",
        "三、政策亮点",
        "一是明确时限要求，二是强化要素保障，三是建立问责机制，对推诿扯皮、不作为乱作为的严肃问责。",
        "四、解读机关及联系方式",
        "解读机关：云南省发展和改革委员会；联系电话：0871-6XXXXXXX。",
    ), at("16:30"), "interpretation", incident="business_env_policy", place="530000",
        publisher="云南省发展和改革委员会", index_no="11530000015355000X/2026-01237"),
    _post("gov_weibo", "gw-policy-01", (
        "【一图读懂】《云南省进一步优化营商环境若干措施》政策解读：企业开办1个工作日内办结，"
        "工程建设项目审批60个工作日以内，全面清理规范涉企收费……"
    ), at("16:45"), "interpretation", incident="business_env_policy", place="530000", author="云南发布", reposts=430),

    # ---- (6) 五华区学位紧张 --------------------------------------------------------------------------
    Item("board", "b-wh-01", "五华区学位紧张，孩子明年上小学无学位可读", (
        "尊敬的领导：我家住五华区某小区，孩子明年9月上小学。今天到划片学校咨询，学校说学位已满，"
        "可能要统筹到离家5公里以外的学校就读，孩子每天上学很不方便。",
        "我们小区近两年新交房2000多户，适龄儿童很多，但周边一直没有新建学校。恳请教育部门尽快解决学位紧张问题，"
        "合理规划建设学校，让孩子能就近入学。",
    ), at("10:15"), "board_message", incident="wuhua_school_places", place="530102", author="一位焦虑的家长"),
    _post("weibo", "w-wh-01", (
        "五华区今年又是学位紧张，划片学校说学位满了要统筹到很远的地方，新小区几千户就不配套学校吗？"
    ), at("21:10"), "post", incident="wuhua_school_places", place="530102", author="昆明家长圈", reposts=233),

    # ---- (7) 大理市学校食物中毒 ------------------------------------------------------------------------
    _post("weibo", "w-dali-01", (
        "大理市某中学好多学生中午吃完食堂后上吐下泻，救护车拉走了好几个，家长都急疯了，学校到现在没个说法！"
    ), at("12:00"), "post", incident="dali_food_poisoning", place="532901", author="大理吃喝玩乐", reposts=980),
    Item("news", "n-dali-01", "大理市一中学发生疑似食物中毒事件 23名学生送医", (
        "云南日报网讯（记者 段丽）11月23日中午，大理市一中学部分学生在学校食堂就餐后，陆续出现呕吐、腹痛、"
        "腹泻等症状，23名学生被送往大理州人民医院治疗，目前均无生命危险。",
        "事件发生后，大理市市场监管、卫生健康、教育等部门已赶赴现场，对食堂留样食品进行封存送检，"
        "涉事食堂已停业整顿。具体原因正在调查。",
    ), at("12:40"), "report", incident="dali_food_poisoning", place="532901", author="段丽", publisher="云南日报网"),
    Item("rss", "r-dali-01", "大理一中学23名学生疑似食物中毒 均无生命危险", (
        "23日中午，大理市一中学23名学生在食堂就餐后出现呕吐、腹泻症状，已送医治疗，均无生命危险，"
        "涉事食堂已停业整顿，食品留样已送检。",
    ), at("13:30"), "report", incident="dali_food_poisoning", place="532901", publisher="云南网"),
    _post("gov_weibo", "gw-dali-01", (
        "【大理市通报一学校疑似食物中毒事件处置情况】11月23日12时许，大理市一中学23名学生在食堂"
        "午餐后出现呕吐、腹泻等症状，经医院全力救治，均无生命危险，其中15人已返校。涉事食堂已停业整顿，"
        "食品留样已送疾控部门检测，市场监管部门已立案调查，将依法依规严肃处理。"
    ), at("15:30"), "release", incident="dali_food_poisoning", place="532901", author="云南发布", reposts=1120),

    # ---- (2) 昆明市官渡区商场火灾（全天无官方发布） ---------------------------------------------------------
    _post("weibo", "w-gd-01", (
        "官渡区那个商场着火了！！从关上那边都能看到好大的黑烟，大家注意绕行 #昆明商场火灾#"
    ), at("13:20"), "post", incident="guandu_mall_fire", place="530111", author="昆明吃喝玩乐", reposts=2860),
    _post("weibo", "w-gd-02", (
        "在商场里面买东西，突然警报响，到处都是烟，跑出来了，腿还在抖。听说三楼还有人没出来……#昆明商场火灾#"
    ), at("13:35"), "post", incident="guandu_mall_fire", place="530111", author="滇池边的猫", reposts=1530),
    Item("news", "n-gd-01", "昆明市官渡区一商场发生火灾 已造成2人死亡5人受伤", (
        "云南日报网讯（记者 张伟）11月23日13时10分许，昆明市官渡区关上片区一商场三楼发生火灾，"
        "现场浓烟滚滚。消防救援部门接警后迅速调派力量赶赴现场处置，商场内人员被紧急疏散。",
        "截至记者发稿时，火灾已造成2人死亡、5人受伤，伤者已被送往医院救治。起火原因正在调查。",
        "受火灾影响，关上片区部分道路实行临时交通管制，请过往车辆绕行。",
    ), at("13:50"), "report", incident="guandu_mall_fire", place="530111", author="张伟", publisher="云南日报网"),
    Item("rss", "r-gd-01", "官渡区商场火灾死亡人数升至10人 起火原因正在调查", (
        "23日13时10分许，昆明市官渡区一商场发生火灾。记者从现场获悉，截至14时，火灾死亡人数已上升至10人，"
        "另有5人受伤。明火已被扑灭，起火原因正在调查。",
    ), at("14:10"), "report", incident="guandu_mall_fire", place="530111", publisher="云南网"),
    Item("local", "g-gd-01", "官渡一商场突发火灾 周边道路临时管制", (
        "本报讯（记者 王磊）今天下午，官渡区关上片区一商场发生火灾。记者在现场看到，商场外已拉起警戒线，"
        "多辆消防车正在进行灭火作业，关上中路部分路段实行临时交通管制。",
        "据现场目击者称，起火点位于商场三楼，火灾发生时商场内有较多顾客。火灾已造成人员伤亡，具体情况有待官方通报。",
    ), at("14:30"), "report", incident="guandu_mall_fire", place="530111", author="王磊",
        publisher="春城晚报网", relative_time=True),
    _post("weibo", "w-gd-03", (
        "官渡商场大火已经过去两个多小时了，官方到现在一个字都没有？遇难者家属在现场哭得撕心裂肺，到底怎么回事？"
    ), at("15:40"), "post", incident="guandu_mall_fire", place="530111", author="云南身边事", reposts=4100),
    _post("weibo", "w-gd-04", (
        "#昆明商场火灾# 10人遇难，听商户说消防通道长期被货物堵着，早就有人投诉过，相关部门是不作为吗？"
    ), at("17:30"), "post", incident="guandu_mall_fire", place="530111", author="春城夜话", reposts=3320),
    Item("news", "n-gd-02", "官渡区商场火灾：遇难者家属盼尽快公布调查进展", (
        "云南日报网讯（记者 张伟）昆明市官渡区关上片区一商场23日下午发生火灾，造成10人死亡、5人受伤。"
        "截至记者发稿时，有关部门尚未发布事故情况通报。",
        "遇难者家属表示，希望有关部门尽快公布火灾原因和调查进展。有商户反映，商场消防通道存在堵塞情况。",
    ), at("19:00"), "report", incident="guandu_mall_fire", place="530111", author="张伟", publisher="云南日报网"),

    # ---- (9) 昆明市盘龙区渣土车侧翻（3死：较大，无5小时时限） ---------------------------------------------------
    _post("weibo", "w-pl-01", (
        "盘龙区穿金路那边一辆渣土车侧翻了，压到了路边的车，现场好多人在救援，太惨了 #昆明身边事#"
    ), at("16:10"), "post", incident="panlong_truck_rollover", place="530103", author="盘龙身边事", reposts=640),
    Item("news", "n-pl-01", "昆明市盘龙区一渣土车侧翻 已造成3人死亡2人受伤", (
        "云南日报网讯（记者 杨帆）11月23日15时50分许，昆明市盘龙区穿金路一辆重型渣土车转弯时侧翻，"
        "压中路边一辆小型轿车，事故已造成3人死亡、2人受伤，伤者已送医救治。",
        "事故发生后，公安交警、消防救援等部门迅速赶到现场处置，事故路段实行临时交通管制。事故原因正在调查。",
    ), at("16:40"), "report", incident="panlong_truck_rollover", place="530103", author="杨帆", publisher="云南日报网"),
    _post("gov_weibo", "gw-pl-01", (
        "【警情通报】11月23日15时50分许，盘龙区穿金路一辆重型渣土车转弯时侧翻，压中路边一辆小型轿车，"
        "造成3人死亡、2人受伤，伤者正在医院救治，无生命危险。肇事驾驶员已被公安机关控制，事故原因正在进一步调查。"
        "盘龙区已对辖区渣土运输车辆开展安全隐患排查整治。"
    ), at("18:30"), "release", incident="panlong_truck_rollover", place="530103", author="云南发布", reposts=980),

    # ---- ordinary news (should not alert) -------------------------------------------------------------
    _post("weibo", "w-ord-01", (
        "早上好昆明！今天阳光超好，翠湖的红嘴鸥已经来了，周末带娃去喂海鸥～"
    ), at("07:20"), "ordinary", author="翠湖边的日常", reposts=35),
    Item("news", "n-ord-01", "第二届云南民族服饰文化展在昆明开幕", (
        "云南日报网讯 11月23日，第二届云南民族服饰文化展在云南民族博物馆开幕，"
        "集中展示25个世居少数民族的传统服饰600余套，展期一个月。",
    ), at("07:50"), "ordinary", author="孙悦", publisher="云南日报网"),
    Item("rss", "r-ord-01", "云南高原特色农产品冬季产销对接会举行", (
        "11月23日，云南高原特色农产品冬季产销对接会在昆明举行，来自省内外的300余家采购商参会，"
        "现场签约金额达12.6亿元。",
    ), at("08:20"), "ordinary", publisher="云南网"),
    Item("news", "n-ord-02", "冬季旅游季启动 腾冲、西双版纳推出惠民活动", (
        "云南日报网讯 “有一种叫云南的生活”冬季旅游季23日启动，腾冲、西双版纳、普洱等地推出景区门票优惠、"
        "温泉康养等惠民活动，欢迎各地游客来滇过冬。",
    ), at("09:10"), "ordinary", author="杨帆", publisher="云南日报网"),
    Item("local", "g-ord-01", "昆明地铁5号线新增4列列车 早高峰间隔缩短", (
        "本报讯（记者 周琳）记者从昆明地铁获悉，地铁5号线新增的4列列车已完成调试，从下周一起投入运营，"
        "早高峰行车间隔将由6分钟缩短至5分钟。",
    ), at("09:15"), "ordinary", author="周琳", publisher="春城晚报网"),
    _post("weibo", "w-ord-02", (
        "中午一碗过桥米线，汤鲜料足，这才是昆明的冬天该有的样子😋"
    ), at("12:30"), "ordinary", author="吃在昆明", reposts=12),
    Item("portal", "p-ord-01", "云南省人民政府关于公布2026年度省级文明单位名单的通知", (
        "各州、市人民政府，省直各委、办、厅、局：",
        "经省精神文明建设委员会审定，现将2026年度省级文明单位名单予以公布，希望受到表彰的单位珍惜荣誉、再接再厉。",
    ), at("14:30"), "ordinary", publisher="云南省人民政府办公厅",
        index_no="11530000015355000X/2026-01234", doc_no="云政函〔2026〕88号", issued_at=dt.date(2026, 11, 21)),
    Item("news", "n-ord-03", "昆明今冬首场寒潮来袭 气温下降6至8℃", (
        "云南日报网讯 据云南省气象台消息，受冷空气影响，24日至26日昆明将迎来今冬首场寒潮，"
        "气温将下降6至8℃，最低气温2℃左右，请市民注意添衣保暖。",
    ), at("14:40"), "ordinary", author="钱锋", publisher="云南日报网"),
    Item("local", "g-ord-02", "翠湖公园菊花展开幕 百余品种竞相绽放", (
        "本报讯（记者 何晓）翠湖公园第十届菊花展今日开幕，展出独本菊、悬崖菊等120余个品种，"
        "展期至12月15日，市民可免费观赏。",
    ), at("15:00"), "ordinary", author="何晓", publisher="春城晚报网", relative_time=True),
    Item("rss", "r-ord-02", "中老铁路国际旅客列车累计发送旅客突破600万人次", (
        "记者从中国铁路昆明局集团获悉，截至11月23日，中老铁路国际旅客列车累计发送旅客突破600万人次。",
    ), at("17:00"), "ordinary", publisher="云南网"),
    Item("news", "n-ord-04", "云南咖啡产季开启 普洱咖啡豆收购价稳中有升", (
        "云南日报网讯 2026—2027年咖啡产季开启，普洱、保山等主产区咖啡鲜果陆续上市，"
        "精品咖啡豆收购价格稳中有升，咖农增收预期良好。",
    ), at("18:00"), "ordinary", author="郑洁", publisher="云南日报网"),
    _post("weibo", "w-ord-03", (
        "抚仙湖的日落也太美了吧，周末自驾一个半小时就到，强烈推荐！"
    ), at("19:30"), "ordinary", author="云南旅行家", reposts=88),

    # ---- escaping probes: text that looks like markup must be shown as text everywhere -----------------
    Item("board", "b-xss-01", "咨询公交线路调整<script>alert(1)</script>", (
        "请问82路公交什么时候恢复原线路？<img src=x onerror=alert(1)> 谢谢！",
    ), at("07:50"), "board_message", author="路人甲<b>",
        reply=Reply("昆明市交通运输局",
                    "您好！82路公交因道路施工临时改线，预计12月10日恢复原线路，请留意公交站牌公告。", at("15:00"))),
    _post("weibo", "w-xss-01", (
        "测试一下<script>alert(1)</script>能不能发出来 <img src=x onerror=alert(1)>"
    ), at("08:05"), "ordinary", author="路人甲<b>"),
)

ITEMS_BY_ID: dict[str, Item] = {item.id: item for item in SCENARIO_ITEMS}
if len(ITEMS_BY_ID) != len(SCENARIO_ITEMS):  # pragma: no cover - guards edits of the table
    raise RuntimeError("duplicate item id in SCENARIO_ITEMS")

XSS_ITEMS = ("b-xss-01", "w-xss-01")


def items_for(site: Site, items: Iterable[Item] = SCENARIO_ITEMS) -> list[Item]:
    return [item for item in items if item.site == site]


def items_of(incident: str, items: Iterable[Item] = SCENARIO_ITEMS) -> list[Item]:
    return [item for item in items if item.incident == incident]


def visible_items(day: dt.date, now: dt.datetime, site: Site | None = None,
                  items: Iterable[Item] = SCENARIO_ITEMS) -> list[Item]:
    """Items online at ``now``, newest first."""
    shown = [item for item in items if (site is None or item.site == site) and item.is_visible(day, now)]
    return sorted(shown, key=lambda item: (item.appear_at, item.id), reverse=True)


def timeline(day: dt.date = DEFAULT_DAY) -> list[tuple[dt.datetime, Item]]:
    """Every item with its publication time, in order (for docs and the demo narrative)."""
    return sorted(((item.published_at(day), item) for item in SCENARIO_ITEMS), key=lambda pair: (pair[0], pair[1].id))


# --- bulk filler (throughput benchmarks) ------------------------------------------------------------------

_FILLER_PLACES = ("昆明市", "曲靖市", "玉溪市", "保山市", "昭通市", "丽江市", "普洱市", "临沧市", "红河州", "文山州",
                  "西双版纳州", "大理州", "德宏州", "怒江州", "迪庆州", "楚雄州")
_FILLER_TOPICS = ("高原特色农业", "文化旅游", "乡村振兴", "数字经济", "生态保护", "交通建设", "教育发展", "体育赛事",
                  "非遗传承", "咖啡产业", "花卉产业", "口岸经济", "新能源", "城市更新", "社区服务", "全民健身")
_FILLER_SENTENCES = (
    "当地通过举办专题推介会，吸引了省内外客商前来洽谈合作。",
    "相关负责人介绍，今年以来各项工作稳步推进，多项指标好于预期。",
    "活动现场气氛热烈，市民游客纷纷驻足观看、拍照留念。",
    "据统计，前三季度累计接待游客同比增长一成以上。",
    "下一步，将继续完善配套设施，提升公共服务水平。",
    "项目建成后预计可带动周边群众就近务工，增加收入。",
    "专家表示，这一做法为全省提供了可复制、可推广的经验。",
    "不少村民说，日子越过越有盼头，心里也越来越踏实。",
    "主办方还设置了互动体验区，让参观者近距离感受传统技艺。",
    "近年来，当地持续加大投入，基础设施条件明显改善。",
    "来自各地的选手同场竞技，展现了良好的精神风貌。",
    "企业负责人表示，将进一步扩大生产规模，拓展海外市场。",
    "志愿者们耐心为群众讲解，现场发放宣传资料两千余份。",
    "此次合作将进一步推动区域资源共享、优势互补。",
    "气象部门提示，近期早晚温差较大，出行请注意添衣保暖。",
    "学校还组织学生开展研学实践，走进田间地头了解农业生产。",
    "截至目前，已有{n}家企业入驻园区，实现产值{m}亿元。",
    "当天共有{n}支队伍参加比赛，吸引观众{m}千余人次。",
    "据介绍，该批次共发放补贴资金{m}万元，惠及农户{n}户。",
    "新建的{n}公里道路已全部完工，群众出行更加便捷。",
    "培训班为期{n}天，共培训基层干部和技术骨干{m}人。",
    "全市共排查隐患{m}处，已整改完成{n}处。",
    "展会期间达成合作意向{n}项，意向金额{m}亿元。",
    "图书馆新增藏书{m}册，开设阅读推广活动{n}场。",
    "医疗队深入{n}个村寨开展义诊，服务群众{m}人次。",
    "{n}名青年志愿者参与了本次环保公益行动。",
    "茶农们告诉记者，今年的春茶收购价每公斤上涨了{n}元。",
    "博物馆推出{n}条研学线路，预约人数已超过{m}人。",
)


def filler_items(site: Site, count: int, *, appear_at: dt.timedelta = dt.timedelta(0), prefix: str = "bulk",
                 seed: int = 0) -> list[Item]:
    """``count`` distinct ordinary items (no incident) for throughput runs: each has its own title and a
    different mix of sentences, so none is a near-duplicate of another."""
    import random

    rng = random.Random(seed)
    items = []
    for n in range(count):
        place = _FILLER_PLACES[n % len(_FILLER_PLACES)]
        topic = _FILLER_TOPICS[(n // len(_FILLER_PLACES)) % len(_FILLER_TOPICS)]
        sentences = [sentence.format(n=rng.randint(3, 99), m=rng.randint(100, 999))
                     for sentence in rng.sample(_FILLER_SENTENCES, k=rng.randint(6, 9))]
        projects, funds = rng.randint(2, 98), rng.randint(100, 9999)
        lead = f"{place}{topic}工作第{n + 1}期简报：{projects}个项目进展顺利，涉及资金{funds}万元。"
        body = (lead, "".join(sentences[: len(sentences) // 2]), "".join(sentences[len(sentences) // 2:]))
        title = f"{place}{topic}简报（第{n + 1}期）"
        if site in ("weibo", "gov_weibo"):
            items.append(_post(site, f"{prefix}-{site}-{n:05d}", lead + sentences[0], appear_at, "ordinary",
                               author=f"{place}发布"))
        else:
            items.append(Item(site, f"{prefix}-{site}-{n:05d}", title, body, appear_at, "ordinary",
                              author="通讯员", publisher=_SITE_PUBLISHERS.get(site)))
    return items


_SITE_PUBLISHERS: dict[str, str] = {"news": "云南日报网", "local": "春城晚报网", "rss": "云南网",
                                    "portal": "云南省人民政府办公厅"}


# --- hot list, search and growing engagement (the hot-list demo) -------------------------------------


@dataclasses.dataclass(frozen=True)
class HotEntry:
    """An entry of the demo hot list (热搜): it appears at ``appear_at`` with ``heat`` and grows to three
    times that at ``peak_at``, then cools; its rank on the list follows its heat."""

    id: str
    words: str
    appear_at: dt.timedelta
    heat: int
    peak_at: dt.timedelta
    incident: str | None = None  # the scenario incident it is about (None: entertainment, weather …)


HOT_ENTRIES: tuple[HotEntry, ...] = (
    HotEntry("hot-star", "某明星官宣恋情", at("-1d 20:00"), 2_400_000, at("09:00")),
    HotEntry("hot-weekend", "周末去哪儿玩", at("-1d 18:00"), 600_000, at("10:00")),
    HotEntry("hot-snow", "北方多地迎来初雪", at("06:00"), 1_500_000, at("11:00")),
    HotEntry("hot-game", "新游戏首日下载破千万", at("07:00"), 900_000, at("12:00")),
    HotEntry("hot-football", "国足世预赛名单公布", at("08:00"), 1_100_000, at("20:00")),
    # the mall fire breaks on the hot list fifteen minutes before the first post about it
    HotEntry("hot-mall-fire", "昆明官渡一商场突发火灾", at("13:05"), 800_000, at("15:30"),
             incident="guandu_mall_fire"),
)
HOT_SOURCE = "demo-hot"  # the configured hot-list source (config/sources.yaml)


def hot_heat(entry: HotEntry, day: dt.date, now: dt.datetime) -> int | None:
    """The entry's heat at ``now`` (None before it appears): ×3 at its peak, then halving every 6 h."""
    start = day_start(day)
    appear, peak = start + entry.appear_at, start + entry.peak_at
    if now < appear:
        return None
    if now <= peak:
        span = max((peak - appear).total_seconds(), 1.0)
        return int(entry.heat * (1 + 2 * (now - appear).total_seconds() / span))
    return int(entry.heat * 3 * 0.5 ** ((now - peak).total_seconds() / 21_600))


def hot_list(day: dt.date, now: dt.datetime) -> list[tuple[int, HotEntry, int]]:
    """``(rank, entry, heat)`` of the entries on the list at ``now``, hottest first."""
    live = [(heat, e) for e in HOT_ENTRIES if (heat := hot_heat(e, day, now)) is not None]
    live.sort(key=lambda pair: (-pair[0], pair[1].id))
    return [(rank, entry, heat) for rank, (heat, entry) in enumerate(live, start=1)]


ENGAGEMENT_GROWTH_HOURS = 4.0  # a post's reposts reach the scenario's figure this long after it appears


def grown(final: int, published: dt.datetime, now: dt.datetime) -> int:
    """A post's figure at ``now``: a quarter at once, the rest over :data:`ENGAGEMENT_GROWTH_HOURS`."""
    hours = max(0.0, (now - published).total_seconds() / 3600)
    return int(final * min(1.0, 0.25 + 0.75 * hours / ENGAGEMENT_GROWTH_HOURS))


def markdown_timeline(day: dt.date = DEFAULT_DAY) -> str:
    """The scenario day as a markdown table, board replies included (``docs/demo.md``)."""
    rows: list[tuple[dt.datetime, str]] = []
    for when, item in timeline(day):
        title = item.title if len(item.title) <= 34 else item.title[:32] + "…"
        title = title.replace("|", "\\|").replace("<", "&lt;")
        rows.append((when, f"| {when:%m-%d %H:%M} | {item.site} | `{item.id}` | {item.kind} | "
                           f"{item.incident or '—'} | {title} |"))
        if item.reply is not None:
            replied = day_start(day) + item.reply.at
            rows.append((replied, f"| {replied:%m-%d %H:%M} | board | `{item.id}` (reply) | reply | "
                                  f"{item.incident or '—'} | {item.reply.office}答复 |"))
    rows.sort(key=lambda row: row[0])
    head = "| time (+08:00) | site | item id | kind | incident | title |\n|---|---|---|---|---|---|\n"
    return head + "\n".join(row for _, row in rows) + "\n"


if __name__ == "__main__":
    print(markdown_timeline(), end="")
