"""What the compliance rules read: the text with full-width digits and letters made ASCII, common traditional characters
made simplified, and separators slipped inside words removed ("降 血 压", "降*血*压", "最-好"), with a map back to
the original positions so that findings point at what the host actually wrote."""

from __future__ import annotations

from dataclasses import dataclass

# Traditional → simplified for the characters our rule terms use (one character each, so positions are kept).
TRADITIONAL = str.maketrans(
    "壓療癒體藥極頂級絕對國專醫護腎養顏腸預減輕脈證認薦權無險壯陽憶腦長見應劑顯獨創優壽癌瘡糖脂類囊營衛強"
    "讓產業銷價優惠費買賣檢測報實號單歲孫婦嬰兒寶媽爺奶飯麵雞蛋蝦魚鹽醬淨輸進選舉經驗鐘風補記領導錯過僅馬漲視",
    "压疗愈体药极顶级绝对国专医护肾养颜肠预减轻脉证认荐权无险壮阳忆脑长见应剂显独创优寿癌疮糖脂类囊营卫强"
    "让产业销价优惠费买卖检测报实号单岁孙妇婴儿宝妈爷奶饭面鸡蛋虾鱼盐酱净输进选举经验钟风补记领导错过仅马涨视",
)
# Full-width digits, letters and ％ become ASCII; full-width punctuation stays, because rule files and their
# allow-contexts are written with it (配料：100%, ，。！).
FULL_WIDTH = {
    c: c - 0xFEE0
    for c in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B), 0xFF05, 0xFF0E]
}
SEPARATORS = frozenset(" \t\u3000*·-_.~、|/\\＊•")


def _cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


@dataclass(frozen=True)
class View:
    text: str  # what rules match against
    origin: list[int]  # origin[i] = index in the original text of text[i]

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.origin[start], self.origin[end - 1] + 1


def view(text: str) -> View:
    plain = text.translate(FULL_WIDTH).translate(TRADITIONAL)
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(plain):
        if ch in SEPARATORS and chars and _cjk(chars[-1]):
            j = i + 1
            while j < len(plain) and plain[j] in SEPARATORS:
                j += 1
            if j < len(plain) and _cjk(plain[j]):
                continue  # a separator between two Chinese characters: an evasion, or noise
        chars.append(ch)
        origin.append(i)
    return View("".join(chars), origin)
