#!/usr/bin/env python3
"""Drives a school day (or nothing, for an idle day) against a running `satchel serve`, in time compressed SCALE times.

    scripts/bench-sd-day.py BASE_URL CONTENT_BUNDLE_JSON SCALE

A school day is 8 hours; at SCALE 30 it runs in 16 minutes and every pause below is divided by SCALE:
  40 teachers log in (t01..t40, password bench-pass) and, spread over the day, open 2,000 lesson pages in all (50
  each, different lessons): the resource page, its content, then the page's beacon once a (compressed) minute while it
  is visible, 3 minutes on average;
  300 searches in all, at random times;
  teachers t01..t20 each take one training module (course `course`, module mNN): enrol, open it, beacons until its
  minimum time has passed, then complete it.
Prints the requests it made by kind. Uses only the standard library.
"""
import http.cookiejar
import json
import random
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

BASE, BUNDLE_JSON, SCALE = sys.argv[1], sys.argv[2], float(sys.argv[3])
DAY = 8 * 3600 / SCALE
MINUTE = 60 / SCALE
QUERIES = ["分数", "三年级数学", "长方形周长", "古诗", "拼音", "乘法口诀", "英语字母", "科学实验", "时分秒", "万以内加减法",
           "认识钟表", "春晓", "光合作用", "二年级语文上册", "20以内进位加法", "圆的面积", "英语单词", "体育游戏"]
lessons = [r for r in json.load(open(BUNDLE_JSON, encoding="utf-8"))["resources"] if r["id"].startswith("lesson")]
counts = {}
counts_lock = threading.Lock()


def count(kind):
    with counts_lock:
        counts[kind] = counts.get(kind, 0) + 1


class Teacher:
    def __init__(self, number):
        self.name = "t%02d" % number
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.csrf = ""

    def request(self, path, data=None, json_body=None, kind="page"):
        headers = {"User-Agent": "Mozilla/5.0 (Linux; Android 10; bench %s) Mobile" % self.name}
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(BASE + path, data=body, headers=headers)
        try:
            with self.opener.open(request, timeout=120) as answer:
                text = answer.read().decode("utf-8", "replace")
                status = answer.status
        except urllib.error.HTTPError as error:
            text, status = error.read().decode("utf-8", "replace"), error.code
        except OSError:
            # A timeout or a reset on a loaded machine: counted, and the teacher's day goes on.
            count("failed")
            return 0, ""
        count(kind)
        return status, text

    def login(self):
        self.request("/login", data={"username": self.name, "password": "bench-pass"}, kind="login")
        _, page = self.request("/training/course")
        marker = 'name="csrf" value="'
        if marker in page:
            self.csrf = page.split(marker, 1)[1].split('"', 1)[0]

    def visit(self, bundle, resource, entry, minutes):
        self.request("/resources/%s/%s" % (bundle, resource))
        self.request("/content/%s/%s" % (bundle, urllib.parse.quote(entry)), kind="content")
        for _ in range(minutes):
            time.sleep(MINUTE)
            self.request("/api/v1/beacon", json_body={"bundleId": bundle, "resourceId": resource, "seconds": 60},
                         kind="beacon")

    def train(self, number):
        self.request("/training/course/enrol", data={"csrf": self.csrf}, kind="training")
        module = "m%02d" % number
        # The course's modules ask 30 minutes; the page is visible for 32.
        self.visit("course", module, "%s/index.html" % module, 32)
        # urllib follows the 303 back to the course page; a refusal is a 409 page that says what is missing.
        status, _ = self.request("/training/course/%s/complete" % module, data={"csrf": self.csrf}, kind="training")
        if status == 409:
            count("training refused")

    def day(self, number, rng):
        self.login()
        if number <= 20:
            self.train(number)
        mine = lessons[(number - 1) * 50 % len(lessons):][:50]
        mine += lessons[:50 - len(mine)]
        searches = 8 if number <= 20 else 7
        plan = [("view", lesson) for lesson in mine] + [("search", rng.choice(QUERIES)) for _ in range(searches)]
        rng.shuffle(plan)
        slot = DAY / len(plan)
        start = time.monotonic()
        for index, (kind, item) in enumerate(plan):
            wait = start + index * slot - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            if kind == "view":
                self.visit("lessons", item["id"], item["entry"], rng.choice([1, 2, 3, 4, 5]))
            else:
                self.request("/search?q=" + urllib.parse.quote(item), kind="search")


def main():
    rng = random.Random(14)
    threads = []
    for number in range(1, 41):
        teacher = Teacher(number)
        thread = threading.Thread(target=teacher.day, args=(number, random.Random(rng.random())))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    print(" ".join("%s=%d" % item for item in sorted(counts.items())))


main()
