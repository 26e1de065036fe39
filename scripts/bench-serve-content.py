#!/usr/bin/env python3
"""Makes the content scripts/bench-serve.sh serves: a school's lesson pages, their images and one video.

    scripts/bench-serve-content.py OUT_DIR [LESSONS=2000] [VIDEO_MIB=200]

Writes into OUT_DIR (which must not exist yet):
  lesson-NNNN/index.html   LESSONS pages of 5-40 KB of Chinese lesson text (sizes spread evenly), each naming its images
  lesson-NNNN/fig-K.jpg    1-3 images per page, 8-64 KB each (a JPEG header, then random bytes: images do not compress)
  video/lesson-video.mp4   one VIDEO_MIB MiB file of random bytes
  bundle.json              for `satchel pack`: one resource per lesson page (Chinese titles), and the video
and beside OUT_DIR: OUT_DIR.png, a 48x48 PNG (zimwriterfs wants one as the ZIM's illustration), and OUT_DIR.pages,
the paths of the pages and images in the order the workload asks for them: the lessons in a shuffled order, each page
followed by its images, as a teacher's browser opens them.
The output is the same on every run (fixed seed).
"""
import json
import os
import random
import struct
import sys
import zlib

SEED = 15
SUBJECTS = [("数学", "math"), ("语文", "chinese"), ("英语", "english"), ("科学", "science"), ("道德与法治", "ethics"),
            ("音乐", "music"), ("美术", "art"), ("体育与健康", "pe")]
GRADES = ["一年级", "二年级", "三年级", "四年级", "五年级", "六年级"]
TERMS = ["上册", "下册"]
# Words of a primary-school lesson plan, to make text that compresses like real Chinese pages do.
WORDS = (
    "同学们 老师 课堂 学习 目标 教学 重点 难点 过程 导入 新课 练习 巩固 小结 作业 布置 观察 思考 讨论 合作 交流 "
    "分享 总结 发现 问题 解决 方法 理解 掌握 运用 知识 能力 情感 态度 价值观 生活 实际 例题 计算 加法 减法 乘法 "
    "除法 分数 小数 图形 面积 周长 长方形 正方形 三角形 圆 角 线段 数一数 比一比 量一量 估算 验证 口算 笔算 竖式 "
    "课文 生字 词语 句子 段落 朗读 背诵 默写 拼音 笔画 偏旁 部首 阅读 写作 日记 作文 诗歌 古诗 故事 寓言 童话 "
    "春天 夏天 秋天 冬天 植物 动物 种子 发芽 生长 水 空气 阳光 土壤 天气 温度 实验 记录 测量 结果 材料 工具 "
    "我们 他们 大家 一起 认真 仔细 积极 主动 勇敢 诚实 友爱 互助 尊重 礼貌 安全 健康 环境 保护 家乡 祖国 "
    "可以 能够 应该 需要 通过 根据 因为 所以 如果 那么 虽然 但是 而且 并且 然后 最后 首先 其次 同时 例如"
).split()
PUNCT = ["，", "，", "，", "、", "。", "。", "；", "！", "？"]
SECTIONS = ["教学目标", "教学重点", "教学难点", "教学准备", "导入新课", "探究新知", "课堂练习", "拓展延伸", "课堂小结",
            "布置作业", "板书设计", "教学反思"]


def sentence(rng):
    words = rng.choices(WORDS, k=rng.randint(6, 18))
    text = ""
    for i, word in enumerate(words):
        text += word
        if i < len(words) - 1 and rng.random() < 0.25:
            text += rng.choice(PUNCT[:4])
    return text + rng.choice(PUNCT[4:])


def page(rng, number, title, subject, grade, term, images, size):
    head = (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n"
        "<style>body{font-family:sans-serif;max-width:46em;margin:auto;padding:0 1em;line-height:1.7}"
        "h1{font-size:1.4em}h2{font-size:1.15em;border-bottom:1px solid #ccc}img{max-width:100%}</style>\n"
        "</head>\n<body>\n"
        f"<p class=\"crumbs\">{grade} · {subject} · {term} · 第 {number} 课</p>\n<h1>{title}</h1>\n"
    )
    tail = "</body>\n</html>\n"
    body = []
    length = len(head.encode()) + len(tail.encode())
    section = 0
    placed = 0
    while True:
        if section % 2 == 1 and placed < len(images):
            part = f'<figure><img src="{images[placed]}" alt="图 {placed + 1}"><figcaption>图 {placed + 1}：{sentence(rng)}</figcaption></figure>\n'
            placed += 1
        elif section % 3 == 0:
            part = f"<h2>{SECTIONS[(section // 3) % len(SECTIONS)]}</h2>\n"
        else:
            part = "<p>" + "".join(sentence(rng) for _ in range(rng.randint(3, 8))) + "</p>\n"
        section += 1
        part_length = len(part.encode())
        if length + part_length > size and placed == len(images):
            break
        body.append(part)
        length += part_length
    # Pad to the exact size with a last paragraph of whole characters (3 bytes each in UTF-8) and spaces.
    missing = size - length
    if missing >= len("<p></p>\n".encode()) + 3:
        room = missing - len("<p></p>\n".encode())
        filler = "".join(rng.choice(WORDS) for _ in range(room))[: room // 3]
        pad = room - len(filler.encode())
        body.append("<p>" + filler + " " * pad + "</p>\n")
    elif missing > 0:
        body.append(" " * (missing - 1) + "\n")
    return (head + "".join(body) + tail).encode()


def image(rng, size):
    header = bytes.fromhex("ffd8ffe000104a46494600010101004800480000")  # SOI + JFIF APP0
    return header + rng.randbytes(size - len(header) - 2) + bytes.fromhex("ffd9")


def png_48():
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + bytes([40, 120, 200]) * 48 for _ in range(48))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 48, 48, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    lessons = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    video_mib = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    rng = random.Random(SEED)
    os.makedirs(out)
    resources = []
    order = []
    for n in range(1, lessons + 1):
        folder = f"lesson-{n:04d}"
        subject, subject_en = SUBJECTS[n % len(SUBJECTS)]
        grade = GRADES[(n // len(SUBJECTS)) % len(GRADES)]
        term = TERMS[n % 2]
        title = f"{grade}{subject}（{term}）第 {n} 课：{''.join(rng.choices(WORDS, k=3))}"
        images = [f"fig-{k}.jpg" for k in range(1, rng.randint(1, 3) + 1)]
        os.makedirs(os.path.join(out, folder))
        size = 5 * 1024 + (n * 7919) % (35 * 1024 + 1)  # 5-40 KB, spread evenly over the pages
        with open(os.path.join(out, folder, "index.html"), "wb") as f:
            f.write(page(rng, n, title, subject, grade, term, images, size))
        for name in images:
            with open(os.path.join(out, folder, name), "wb") as f:
                f.write(image(rng, rng.randint(8 * 1024, 64 * 1024)))
        resources.append({
            "id": folder, "type": "html", "entry": f"{folder}/index.html", "language": "zh-CN",
            "title": {"zh": title, "en": f"Lesson {n} ({subject_en})"},
            "stage": "小学", "grade": grade, "subject": subject, "term": term,
        })
        order.append([f"{folder}/index.html"] + [f"{folder}/{name}" for name in images])
    os.makedirs(os.path.join(out, "video"))
    with open(os.path.join(out, "video", "lesson-video.mp4"), "wb") as f:
        block = rng.randbytes(1024 * 1024)
        for i in range(video_mib):
            # A different MiB each time (so that no compressor or dedup shortcut applies), cheaply.
            f.write(block[i:] + block[:i])
    resources.append({"id": "lesson-video", "type": "video", "entry": "video/lesson-video.mp4",
                      "title": {"zh": "课堂录像", "en": "Lesson video"}})
    with open(os.path.join(out, "bundle.json"), "w", encoding="utf-8") as f:
        json.dump({"title": {"zh": "小学课堂教案（测试）", "en": "Primary lesson plans (benchmark)"},
                   "kind": "curriculum", "resources": resources}, f, ensure_ascii=False)
    with open(out.rstrip("/") + ".png", "wb") as f:
        f.write(png_48())
    rng.shuffle(order)
    with open(out.rstrip("/") + ".pages", "w") as f:
        for paths in order:
            f.write("".join(p + "\n" for p in paths))


if __name__ == "__main__":
    main()
