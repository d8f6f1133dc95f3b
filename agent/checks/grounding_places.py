"""Place names for the grounding check: which names are places, and which place lies inside which.

A host's origin claim is supported when a document names that place or a place inside it (a document saying 黑龙江
方正县 supports 哈尔滨, 黑龙江 and 东北; one saying 黑龙江 does not support 五常). The gazetteer holds countries,
foreign growing regions, China's provinces and prefecture-level cities, and the counties and towns known for farm
produce; names that are also everyday words (开封 as in 开封后, 白银, 来宾, 安康, 吉安, 长治, 朝阳, 东方, 白山) are left out.
"""

from __future__ import annotations

import re

COUNTRIES = [
    "中国",
    "西班牙",
    "意大利",
    "希腊",
    "法国",
    "葡萄牙",
    "土耳其",
    "突尼斯",
    "澳大利亚",
    "新西兰",
    "美国",
    "加拿大",
    "日本",
    "韩国",
    "泰国",
    "德国",
    "荷兰",
    "丹麦",
    "智利",
    "阿根廷",
    "巴西",
    "乌拉圭",
    "印度",
    "越南",
    "马来西亚",
    "印度尼西亚",
    "菲律宾",
    "俄罗斯",
    "蒙古国",
    "哈萨克斯坦",
    "秘鲁",
    "墨西哥",
    "南非",
    "埃及",
    "以色列",
    "摩洛哥",
    "伊朗",
    "巴基斯坦",
    "斯里兰卡",
    "缅甸",
    "老挝",
    "柬埔寨",
    "英国",
    "爱尔兰",
    "瑞士",
    "奥地利",
    "比利时",
    "波兰",
    "瑞典",
    "挪威",
    "芬兰",
    "冰岛",
    "乌克兰",
    "格鲁吉亚",
    "厄瓜多尔",
    "哥伦比亚",
    "埃塞俄比亚",
    "肯尼亚",
    "坦桑尼亚",
    "新加坡",
    "朝鲜",
    "乌兹别克斯坦",
    "吉尔吉斯斯坦",
    "塞尔维亚",
    "罗马尼亚",
    "匈牙利",
    "捷克",
    "保加利亚",
]
ALIASES = {
    "澳洲": "澳大利亚",
    "印尼": "印度尼西亚",
    "加州": "加利福尼亚",
    "巴伦西亚": "瓦伦西亚",
    "内蒙": "内蒙古",
    "东乌旗": "东乌珠穆沁旗",
    "稻花香之乡": "五常",
    "大兴安岭地区": "大兴安岭",
}
FOREIGN_REGIONS = {
    "西班牙": "安达卢西亚 加泰罗尼亚 瓦伦西亚 卡斯蒂利亚 拉曼恰 埃斯特雷马杜拉 阿拉贡 纳瓦拉 穆尔西亚 加利西亚",
    "安达卢西亚": "哈恩 科尔多瓦 塞维利亚 格拉纳达 马拉加",
    "意大利": "托斯卡纳 西西里 普利亚 翁布里亚 利古里亚 卡拉布里亚 撒丁岛 皮埃蒙特 西西里岛",
    "希腊": "克里特 克里特岛 伯罗奔尼撒 卡拉马塔",
    "法国": "普罗旺斯 波尔多 勃艮第 诺曼底 布列塔尼",
    "美国": "加利福尼亚 夏威夷 阿拉斯加 华盛顿州 俄勒冈 佛罗里达 得克萨斯 威斯康星",
    "日本": "北海道 九州 冲绳 静冈 宇治",
    "澳大利亚": "塔斯马尼亚 昆士兰 新南威尔士 西澳",
    "新西兰": "奥克兰 怀卡托 坎特伯雷",
    "德国": "巴伐利亚",
    "加拿大": "魁北克 安大略 不列颠哥伦比亚",
    "土耳其": "伊兹密尔 爱琴海",
    "突尼斯": "斯法克斯",
}
# province (or region) → its prefecture-level cities, leagues and prefectures
PROVINCES = {
    "北京": "",
    "天津": "",
    "上海": "崇明",
    "重庆": "",
    "河北": "石家庄 唐山 秦皇岛 邯郸 邢台 保定 张家口 承德 沧州 廊坊 衡水 坝上",
    "山西": "太原 大同 阳泉 晋城 朔州 晋中 运城 忻州 临汾 吕梁",
    "内蒙古": "呼和浩特 包头 乌海 赤峰 通辽 鄂尔多斯 呼伦贝尔 巴彦淖尔 乌兰察布 兴安盟 锡林郭勒 阿拉善 河套",
    "辽宁": "沈阳 大连 鞍山 抚顺 本溪 丹东 锦州 营口 阜新 辽阳 盘锦 铁岭 葫芦岛",
    "吉林": "长春 四平 辽源 通化 松原 白城 延边 长白山",
    "黑龙江": "哈尔滨 齐齐哈尔 鸡西 鹤岗 双鸭山 大庆 伊春 佳木斯 七台河 牡丹江 黑河 绥化 大兴安岭",
    "江苏": "南京 无锡 徐州 常州 苏州 南通 连云港 淮安 盐城 扬州 镇江 泰州 宿迁",
    "浙江": "杭州 宁波 温州 嘉兴 湖州 绍兴 金华 衢州 舟山 台州 丽水",
    "安徽": "合肥 芜湖 蚌埠 淮南 马鞍山 淮北 铜陵 安庆 黄山 滁州 阜阳 宿州 六安 亳州 池州 宣城",
    "福建": "福州 厦门 莆田 三明 泉州 漳州 南平 龙岩 宁德",
    "江西": "南昌 景德镇 萍乡 九江 新余 鹰潭 赣州 宜春 抚州 上饶 赣南",
    "山东": "济南 青岛 淄博 枣庄 东营 烟台 潍坊 济宁 泰安 威海 日照 临沂 德州 聊城 滨州 菏泽 胶东",
    "河南": "郑州 洛阳 平顶山 安阳 鹤壁 新乡 焦作 濮阳 许昌 漯河 三门峡 南阳 商丘 信阳 周口 驻马店",
    "湖北": "武汉 黄石 十堰 宜昌 襄阳 鄂州 荆门 孝感 荆州 黄冈 咸宁 随州 恩施 神农架",
    "湖南": "长沙 株洲 湘潭 衡阳 邵阳 岳阳 常德 张家界 益阳 郴州 永州 怀化 娄底 湘西",
    "广东": "广州 韶关 深圳 珠海 汕头 佛山 江门 湛江 茂名 肇庆 惠州 梅州 汕尾 河源 阳江 清远 东莞 中山 潮州 揭阳 云浮",
    "广西": "南宁 柳州 桂林 梧州 北海 防城港 钦州 贵港 玉林 百色 贺州 河池 崇左",
    "海南": "海口 三亚 儋州",
    "四川": "成都 自贡 攀枝花 泸州 德阳 绵阳 广元 遂宁 内江 乐山 南充 眉山 宜宾 广安 达州 雅安 巴中 资阳 阿坝 甘孜 凉山",
    "贵州": "贵阳 六盘水 遵义 安顺 毕节 铜仁",
    "云南": "昆明 曲靖 玉溪 保山 昭通 丽江 普洱 临沧 楚雄 红河 文山 西双版纳 大理 德宏 怒江 迪庆",
    "西藏": "拉萨 日喀则 昌都 林芝 山南 那曲 阿里",
    "陕西": "西安 铜川 宝鸡 咸阳 渭南 延安 汉中 榆林 商洛 秦岭",
    "甘肃": "兰州 嘉峪关 金昌 天水 武威 张掖 平凉 酒泉 庆阳 定西 陇南 临夏 甘南",
    "青海": "西宁 海东 海北 黄南 海南州 果洛 玉树 海西",
    "宁夏": "银川 石嘴山 吴忠 固原 中卫",
    "新疆": "乌鲁木齐 克拉玛依 吐鲁番 哈密 昌吉 博尔塔拉 巴音郭楞 阿克苏 克孜勒苏 喀什 和田 伊犁 塔城 阿勒泰 石河子",
}
# counties, towns and villages known for produce (and those the products' documents name) → the place they lie in
LOCAL = {
    "方正": "哈尔滨",
    "五常": "哈尔滨",
    "民乐": "五常",
    "庆安": "绥化",
    "英山": "黄冈",
    "桃花冲": "英山",
    "罗田": "黄冈",
    "柞水": "商洛",
    "营盘镇": "柞水",
    "凤凰镇": "柞水",
    "佛冈": "清远",
    "杭锦后旗": "巴彦淖尔",
    "临河": "巴彦淖尔",
    "五原": "巴彦淖尔",
    "东乌珠穆沁旗": "锡林郭勒",
    "西乌珠穆沁旗": "锡林郭勒",
    "乌珠穆沁": "锡林郭勒",
    "锡林浩特": "锡林郭勒",
    "张北": "张家口",
    "高明": "佛山",
    "西湖区": "杭州",
    "西湖": "杭州",
    "梅家坞": "西湖区",
    "龙坞": "西湖区",
    "狮峰": "西湖区",
    "千岛湖": "杭州",
    "安吉": "湖州",
    "奇台": "昌吉",
    "库尔勒": "巴音郭楞",
    "寿光": "潍坊",
    "栖霞": "烟台",
    "阳澄湖": "苏州",
    "安溪": "泉州",
    "武夷山": "南平",
    "洛川": "延安",
    "眉县": "宝鸡",
    "周至": "西安",
    "蒙自": "红河",
    "褚橙": "玉溪",
    "射阳": "盐城",
    "盘锦大米": "盘锦",
    "漳浦": "漳州",
    "赣南": "江西",
    "恩施": "湖北",
    "大别山": "",
    "东北": "中国",
    "乌兰察布": "内蒙古",
}
REGION_MEMBERS = {"东北": ("黑龙江", "吉林", "辽宁")}


def _parents() -> dict[str, str]:
    parents: dict[str, str] = {}
    for country in COUNTRIES:
        parents.setdefault(country, "")
    for country, regions in FOREIGN_REGIONS.items():
        for region in regions.split():
            parents[region] = country
    for province, cities in PROVINCES.items():
        parents[province] = "中国"
        for city in cities.split():
            parents[city] = province
    for place, parent in LOCAL.items():
        if parent or place not in parents:
            parents[place] = parent
    for region, members in REGION_MEMBERS.items():
        for member in members:
            parents[member] = region
    parents["东北"] = "中国"
    return parents


PARENTS = _parents()
NAMES = sorted(set(PARENTS) | set(ALIASES) | {p for p in PARENTS.values() if p}, key=lambda n: (-len(n), n))
PLACE = re.compile("|".join(re.escape(n) for n in NAMES))
SUFFIXED = re.compile(
    r"(?:产自|来自|产于|原产于?|产地(?:是|在|为)?|产区(?:是|在|为)?|进口自|出自|种在|养在|长在|采自)\s*"
    r"(?:[\u4e00-\u9fa5]{0,8}?的)?([\u4e00-\u9fa5]{2,5}?(?:省|市|县|区|州|镇|乡|村|旗|盟|岛|庄园|牧场|农场))"
)


def canonical_place(name: str) -> str:
    return ALIASES.get(name, name)


def ancestors(name: str) -> list[str]:
    """The places ``name`` lies in, nearest first (哈恩 → 安达卢西亚, 西班牙)."""
    out: list[str] = []
    place = canonical_place(name)
    while True:
        parent = PARENTS.get(place, "")
        if not parent or parent in out:
            return out
        out.append(parent)
        place = parent


def places_in(text: str) -> set[str]:
    """Every gazetteer place a text names, in canonical spelling."""
    return {canonical_place(m.group()) for m in PLACE.finditer(text)}


def covered(name: str, named: set[str]) -> bool:
    """Whether a place the documents name lies inside ``name`` or is ``name`` (so the claim holds)."""
    place = canonical_place(name)
    return place in named or any(place in ancestors(other) for other in named)
