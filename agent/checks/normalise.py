"""What the compliance rules read: the text with full-width digits and letters made ASCII, common traditional characters
made simplified, and separators slipped inside words removed ("降 血 压", "降*血*压", "最-好"), a pinyin syllable written
for a banned character read as that character ("降xue压", "zui好", "抗ai"), with a map back to the original positions
so that findings point at what the host actually wrote."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Traditional → simplified for the characters our rule terms use (one character each, so positions are kept).
TRADITIONAL = str.maketrans(
    "壓療癒體藥極頂級絕對國專醫護腎養顏腸預減輕脈證認薦權無險壯陽憶腦長見應劑顯獨創優壽癌瘡糖脂類囊營衛強"
    "讓產業銷價優惠費買賣檢測報實號單歲孫婦嬰兒寶媽爺奶飯麵雞蛋蝦魚鹽醬淨輸進選舉經驗鐘風補記領導錯過僅馬漲視"
    "膽緩勞飲喫膚皺紋濕氣熱涼們種萬純潔農殘蟲傷髮發頭聰質鈣鐵鋅維臟髒癢敗關節腫癥狀夢靜緒師讚贊協會機構總統軍隊"
    "貢禦廠搶購庫斷貨後猶遲時間餘額瘋換賺虧幾個兩該處壞沒問題隱負擔靈從變紅潤彈緊緻齡態乾麴傳秘說讀聽從護膠囊飽這裡麼嗎",
    "压疗愈体药极顶级绝对国专医护肾养颜肠预减轻脉证认荐权无险壮阳忆脑长见应剂显独创优寿癌疮糖脂类囊营卫强"
    "让产业销价优惠费买卖检测报实号单岁孙妇婴儿宝妈爷奶饭面鸡蛋虾鱼盐酱净输进选举经验钟风补记领导错过仅马涨视"
    "胆缓劳饮吃肤皱纹湿气热凉们种万纯洁农残虫伤发发头聪质钙铁锌维脏脏痒败关节肿症状梦静绪师赞赞协会机构总统军队"
    "贡御厂抢购库断货后犹迟时间余额疯换赚亏几个两该处坏没问题隐负担灵从变红润弹紧致龄态干曲传秘说读听从护胶囊饱这里么吗",
)
# Full-width digits, letters and ％ become ASCII; full-width punctuation stays, because rule files and their
# allow-contexts are written with it (配料：100%, ，。！).
FULL_WIDTH: dict[int, int | str] = {
    c: c - 0xFEE0
    for c in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B), 0xFF05, 0xFF0E]
}
FULL_WIDTH.update({0x2460 + k: str(k + 1) for k in range(9)})  # circled digits: 第① reads as 第1
# A pinyin syllable standing alone next to Chinese text, written to slip a banned character past a word list
# (降xue压, zui好, 抗ai, 减fei). Only syllables whose character is in our rule terms and that mean nothing else in
# group copy; a Latin run is read this way only when it is exactly one of them and touches a Chinese character.
PINYIN = {
    "zui": "最",
    "xue": "血",
    "ya": "压",
    "tang": "糖",
    "zhi": "治",
    "liao": "疗",
    "ai": "癌",
    "fei": "肥",
    "yao": "药",
    "ji": "级",
    "jue": "绝",
}
SEPARATORS = frozenset(" \t\u3000*·-_.~、|/\\＊•")
# What ends a clause in the normalised view: the rules' clause windows (compliance.CLAUSE_END) and the span
# tagger's clause features (compliance_model) cut at the same marks.
CLAUSE_END_MARKS = "，,。！!？?；;：:\n"


def _cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


@dataclass(frozen=True)
class View:
    text: str  # what rules match against
    origin: list[int]  # origin[i] = index in the original text of text[i]
    ends: list[int] | None = None  # ends[i] = end in the original of what text[i] stands for (a pinyin run)

    def span(self, start: int, end: int) -> tuple[int, int]:
        last = self.ends[end - 1] if self.ends is not None else self.origin[end - 1] + 1
        return self.origin[start], last


_LATIN_RUN = re.compile(r"[A-Za-z]+")


def _pinyin_runs(plain: str) -> dict[int, tuple[int, str]]:
    """start → (end, character) for every Latin run that is one PINYIN syllable touching a Chinese character."""
    runs = {}
    for m in _LATIN_RUN.finditer(plain):
        char = PINYIN.get(m.group().lower())
        if char is None:
            continue
        b = m.start() - 1
        while b >= 0 and plain[b] in SEPARATORS:
            b -= 1
        a = m.end()
        while a < len(plain) and plain[a] in SEPARATORS:
            a += 1
        if (b >= 0 and _cjk(plain[b])) or (a < len(plain) and _cjk(plain[a])):
            runs[m.start()] = (m.end(), char)
    return runs


def view(text: str) -> View:
    plain = text.translate(FULL_WIDTH).translate(TRADITIONAL)
    runs = _pinyin_runs(plain) if _LATIN_RUN.search(plain) else {}
    chars: list[str] = []
    origin: list[int] = []
    ends: list[int] = []
    i = 0
    while i < len(plain):
        ch = plain[i]
        if i in runs:
            end, char = runs[i]
            chars.append(char)
            origin.append(i)
            ends.append(end)
            i = end
            continue
        if ch in SEPARATORS and chars and _cjk(chars[-1]):
            j = i + 1
            while j < len(plain) and plain[j] in SEPARATORS:
                j += 1
            if j < len(plain) and (_cjk(plain[j]) or j in runs):
                i += 1
                continue  # a separator between two Chinese characters: an evasion, or noise
        chars.append(ch)
        origin.append(i)
        ends.append(i + 1)
        i += 1
    return View("".join(chars), origin, ends if runs else None)
