"""Import benchmark: a generated WeCom 会话存档 file of N messages, imported end to end (parse, pseudonymise,
store in SQLite), then imported again (every message a duplicate).

Each import runs in a fresh child process so that its peak RSS is its own. The baseline, measured in the same
run on the same file, is a bare parse (json.loads of every line, nothing else): it bounds what any importer can do.

    python -m evals.bench.import_bench --messages 1000000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LINES = [
    "今天的橄榄油到了吗",
    "南门便利店几点关门呀",
    "收到了 谢谢团长",
    "这个酱油咸不咸",
    "宝宝七个月能吃米粉吗",
    "我家老人牙口不好 有软一点的吗",
    "周末烤了吐司 用的就是群里的面粉",
    "明晚8点直播别忘了哈",
    "已付款",
    "+1",
    "好的",
    "[捂脸]",
    "我爸血压高 想换减盐的",
    "鸡蛋还有吗 想要两盒",
    "昨天的燕麦片口感挺好的",
    "电话{phone} 到了打我",
    "送到{building}栋{unit}单元{room} 谢谢",
    "尾号{tail}的快递是谁的",
]


def generate(path: Path, count: int, seed: int = 7) -> None:
    """A believable mix: mostly short text, some PII, images, and a recall every few hundred messages."""
    rng = random.Random(seed)
    senders = [f"wm{rng.getrandbits(48):012x}" for _ in range(400)]
    t = 1_760_000_000_000
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            t += rng.randint(500, 90_000)
            sender = rng.choice(senders)
            msgid = f"{t}_{i}"
            roll = rng.random()
            if roll < 0.08:
                record = {
                    "msgid": msgid,
                    "action": "send",
                    "from": sender,
                    "tolist": ["wrBench"],
                    "roomid": "wrBench",
                    "msgtime": t,
                    "msgtype": "image",
                    "image": {"md5sum": f"{i:032x}", "filesize": 2048},
                }
            elif roll < 0.082 and i > 0:
                record = {
                    "msgid": msgid,
                    "action": "recall",
                    "from": sender,
                    "tolist": ["wrBench"],
                    "roomid": "wrBench",
                    "msgtime": t,
                    "msgtype": "revoke",
                    "revoke": {"pre_msgid": f"{t - 1}_{i - 1}"},
                }
            else:
                text = rng.choice(LINES).format(
                    phone=f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}",
                    building=rng.randint(1, 30),
                    unit=rng.randint(1, 4),
                    room=rng.randint(101, 2404),
                    tail=rng.randint(1000, 9999),
                )
                record = {
                    "msgid": msgid,
                    "action": "send",
                    "from": sender,
                    "tolist": ["wrBench"],
                    "roomid": "wrBench",
                    "msgtime": t,
                    "msgtype": "text",
                    "text": {"content": text},
                }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def child_import(path: Path, home: Path) -> dict[str, float]:
    os.environ["LINLI_HOME"] = str(home)
    from community import db
    from community.importers import import_file
    from community.principal import CLI
    from community.users import add_community
    from settings import get_settings

    db.migrate()
    with db.session_scope() as s:
        add_community(s, CLI, "bench", "bench")
    started = time.perf_counter()
    with db.session_scope() as s:
        result = import_file(s, CLI, path, "bench", secret=get_settings().secret_bytes())
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "seconds": seconds,
        "imported": result["imported"],
        "duplicates": result["duplicates"],
        "read": result["read"],
        "peak_rss_mb": peak_mb,
    }


def child_parse(path: Path) -> dict[str, float]:
    started = time.perf_counter()
    n = 0
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            json.loads(line)
            n += 1
    return {
        "seconds": time.perf_counter() - started,
        "read": n,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_child(*args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "evals.bench.import_bench", "--child", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs="+")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        data = child_parse(Path(rest[0])) if kind == "parse" else child_import(Path(rest[0]), Path(rest[1]))
        print(json.dumps(data))
        return
    with tempfile.TemporaryDirectory(prefix="linli-bench-") as tmp:
        file = Path(tmp) / "wecom.jsonl"
        t0 = time.perf_counter()
        generate(file, args.messages)
        print(
            f"generated {args.messages:,} messages ({file.stat().st_size / 1e6:.0f} MB) in "
            f"{time.perf_counter() - t0:.1f}s",
            file=sys.stderr,
        )
        parse, first, again = [], [], []
        for n in range(args.repeat):
            parse.append(run_child("parse", str(file)))
            home = Path(tmp) / f"home{n}"
            first.append(run_child("import", str(file), str(home)))
            again.append(run_child("import", str(file), str(home)))
            print(
                f"run {n + 1}: parse {parse[-1]['seconds']:.1f}s, import {first[-1]['seconds']:.1f}s, "
                f"re-import {again[-1]['seconds']:.1f}s",
                file=sys.stderr,
            )
            (Path(tmp) / f"home{n}" / "linli.db").unlink()
        n = args.messages
        report = {
            "messages": n,
            "repeat": args.repeat,
            "baseline_parse_per_s": statistics.median(n / r["seconds"] for r in parse),
            "import_per_s": statistics.median(n / r["seconds"] for r in first),
            "reimport_per_s": statistics.median(n / r["seconds"] for r in again),
            "import_peak_rss_mb": max(r["peak_rss_mb"] for r in first),
            "reimport_peak_rss_mb": max(r["peak_rss_mb"] for r in again),
            "imported": first[0]["imported"],
            "duplicates_on_reimport": again[0]["duplicates"],
        }
        report["import_vs_parse"] = report["import_per_s"] / report["baseline_parse_per_s"]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
