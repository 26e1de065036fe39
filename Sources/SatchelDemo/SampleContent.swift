import Foundation
import SatchelBundles
import SatchelCore

/// A small folder of demo curriculum content, ready for `satchel pack`.
///
/// Everything is generated in code or embedded in source, so the demo works offline on a fresh machine: two HTML
/// lessons (mathematics and Chinese) with their own stylesheets and SVG pictures, a one-page PDF worksheet, a short
/// H.264 video and an SVG chart, described by a `bundle.json`. The output is the same bytes every time.
public enum SampleContent {
    /// The bundle id the demo uses.
    public static let bundleID = "demo-primary-g3"

    /// Writes the sample curriculum folder into `folder` (created if needed, files overwritten).
    ///
    /// Files already in the folder that the demo does not write are left alone.
    ///
    /// - Throws: ``BundleError`` with code `io` naming the file that could not be written.
    public static func write(to folder: String) throws {
        let root = URL(fileURLWithPath: (folder as NSString).standardizingPath, isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        } catch {
            throw BundleError(
                code: .io,
                message: LocalizedText(
                    zh: "无法创建示例内容文件夹 \(root.path)：\(reason(error))。请检查路径和写入权限。",
                    en: "Cannot create the sample content folder \(root.path): \(reason(error)). "
                        + "Check the path and write permission."
                ),
                cause: error
            )
        }
        for (path, data) in try files() {
            try writeFile(data, to: path, in: root)
        }
    }

    // MARK: - Files

    /// Every file of the demo folder, by relative path.
    private static func files() throws -> [(String, Data)] {
        [
            (BundleDescription.fileName, try descriptionJSON()),
            ("math-fractions/index.html", Data(mathLessonHTML.utf8)),
            ("math-fractions/style.css", Data(mathStyleCSS.utf8)),
            ("math-fractions/pizza.svg", Data(pizzaSVG.utf8)),
            ("chinese-poem/index.html", Data(poemLessonHTML.utf8)),
            ("chinese-poem/style.css", Data(poemStyleCSS.utf8)),
            ("chinese-poem/moon.svg", Data(moonSVG.utf8)),
            ("images/fraction-bars.svg", Data(fractionBarsSVG().utf8)),
            ("worksheet.pdf", worksheetPDF()),
            ("video/intro.mp4", introVideo()),
        ]
    }

    /// Writes one file, creating its folder, and turns any failure into a ``BundleError``.
    private static func writeFile(_ data: Data, to path: String, in root: URL) throws {
        let url = root.appendingPathComponent(path)
        do {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true
            )
            try data.write(to: url, options: .atomic)
        } catch {
            throw BundleError(
                code: .io,
                message: LocalizedText(
                    zh: "无法写入示例文件 \(url.path)：\(reason(error))。请检查磁盘空间和写入权限。",
                    en: "Cannot write the sample file \(url.path): \(reason(error)). "
                        + "Check the free disk space and write permission."
                ),
                cause: error
            )
        }
    }

    /// A failure's description without its final full stop, to embed in a sentence.
    private static func reason(_ error: any Error) -> String {
        var text = error.localizedDescription
        while text.hasSuffix(".") || text.hasSuffix("。") {
            text.removeLast()
        }
        return text
    }

    // MARK: - bundle.json

    /// The `bundle.json` describing the demo's title, classification and resources.
    static func bundleDescription() -> BundleDescription {
        BundleDescription(
            title: LocalizedText(zh: "示例课程：小学三年级", en: "Sample course: Primary grade 3"),
            kind: .curriculum,
            defaults: BundleDescription.Classification(
                stage: "小学", grade: "三年级", subject: nil, edition: "人教版", term: "上册", language: "zh-CN"
            ),
            resources: [
                Manifest.Resource(
                    id: "math-fractions",
                    title: LocalizedText(zh: "认识分数", en: "Getting to know fractions"),
                    type: "html", subject: "数学", unit: "第八单元 分数的初步认识", entry: "math-fractions/index.html",
                    description: LocalizedText(
                        zh: "通过平均分饼认识几分之一，了解分子和分母，并完成课堂练习。",
                        en: "Learn unit fractions by sharing a pizza equally, meet the numerator and the "
                            + "denominator, and try a few exercises."
                    ),
                    tags: ["分数", "平均分", "分子", "分母", "fractions"]
                ),
                Manifest.Resource(
                    id: "chinese-jingyesi",
                    title: LocalizedText(zh: "古诗：《静夜思》", en: "Classical poem: Quiet Night Thoughts"),
                    type: "html", subject: "语文", entry: "chinese-poem/index.html",
                    description: LocalizedText(
                        zh: "唐代诗人李白的《静夜思》，附字词注释、译文和朗读提示。",
                        en: "Quiet Night Thoughts by the Tang poet Li Bai, with word notes, a modern "
                            + "translation and reading tips."
                    ),
                    tags: ["古诗", "李白", "唐诗", "朗读", "poetry"]
                ),
                Manifest.Resource(
                    id: "fractions-worksheet",
                    title: LocalizedText(zh: "分数练习单", en: "Fractions worksheet"),
                    type: "document", subject: "数学", unit: "第八单元 分数的初步认识", entry: "worksheet.pdf",
                    description: LocalizedText(
                        zh: "一页可打印的 A4 练习单：看图写分数、同分母分数加减法和分数大小比较。",
                        en: "A printable one-page A4 worksheet: name the shaded fraction, add and subtract "
                            + "fractions with the same denominator, and compare fractions."
                    ),
                    tags: ["分数", "练习", "打印", "worksheet"]
                ),
                Manifest.Resource(
                    id: "intro-video",
                    title: LocalizedText(zh: "示例视频：测试画面", en: "Sample video: test pattern"),
                    type: "video", entry: "video/intro.mp4",
                    description: LocalizedText(
                        zh: "4 秒的活动测试画面，用于检查教室里的手机、平板或电脑能否正常播放视频。",
                        en: "A 4-second moving test pattern to check that classroom phones, tablets and "
                            + "computers play video."
                    ),
                    tags: ["视频", "测试", "播放", "video"]
                ),
                Manifest.Resource(
                    id: "fraction-bars",
                    title: LocalizedText(zh: "分数条挂图", en: "Fraction bars chart"),
                    type: "image", subject: "数学", entry: "images/fraction-bars.svg",
                    description: LocalizedText(
                        zh: "把同样长的纸条平均分成 1、2、3、4 份，直观比较几分之一的大小。",
                        en: "Strips of the same length split equally into 1, 2, 3 and 4 parts, to compare "
                            + "unit fractions at a glance."
                    ),
                    tags: ["分数", "分数条", "挂图", "比较"]
                ),
            ]
        )
    }

    /// `bundle.json` as pretty-printed UTF-8 JSON with sorted keys.
    private static func descriptionJSON() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            var data = try encoder.encode(bundleDescription())
            data.append(0x0A)
            return data
        } catch {
            throw BundleError(
                code: .io,
                message: LocalizedText(
                    zh: "无法生成示例内容的 bundle.json：\(error)。",
                    en: "Cannot encode the sample bundle.json: \(error)."
                ),
                cause: error
            )
        }
    }

    // MARK: - Mathematics lesson

    private static let mathLessonHTML = """
        <!DOCTYPE html>
        <html lang="zh-CN">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>认识分数 · Getting to know fractions</title>
        <link rel="stylesheet" href="style.css">
        </head>
        <body>
        <main>
        <header>
        <p class="meta">小学 · 三年级 · 数学 · 人教版上册</p>
        <h1>认识分数</h1>
        <p class="en" lang="en">Getting to know fractions</p>
        </header>

        <section>
        <h2>一、分饼</h2>
        <p>妈妈买了一张饼，要分给两个小朋友。怎样分才公平呢？把饼<strong>平均分</strong>成 2 份，
        每人分得同样多。每一份是这张饼的<strong>二分之一</strong>，写作 <span class="frac">1/2</span>。</p>
        <p>如果有四个小朋友，就把饼平均分成 4 份，每一份是这张饼的<strong>四分之一</strong>，
        写作 <span class="frac">1/4</span>。</p>
        <figure>
        <img src="pizza.svg" width="320" height="200"
             alt="两张饼：左边平均分成 2 份，涂色 1 份，表示二分之一；右边平均分成 4 份，涂色 1 份，表示四分之一。">
        <figcaption>涂色部分分别是这张饼的 1/2 和 1/4。</figcaption>
        </figure>
        </section>

        <section>
        <h2>二、分数各部分的名称</h2>
        <p>像 1/2、1/4、3/4 这样的数叫作<strong>分数</strong>。课本上写分数时，中间的横线叫
        <strong>分数线</strong>，分数线下面的数叫<strong>分母</strong>，表示把一个物体平均分成几份；
        分数线上面的数叫<strong>分子</strong>，表示取了其中的几份。</p>
        <p class="tip">注意：一定要<strong>平均分</strong>，每份一样多，才能用分数表示。</p>
        </section>

        <section>
        <h2>三、比一比</h2>
        <p>同一张饼，分的份数越多，每一份就越小。所以 1/2 比 1/4 大，写作 1/2 &gt; 1/4。</p>
        </section>

        <section>
        <h2>四、练一练</h2>
        <ol>
        <li>把一张纸平均分成 3 份，每份是它的几分之一？</li>
        <li>把一个西瓜平均切成 8 块，吃了 3 块，吃了这个西瓜的几分之几？</li>
        <li>在 ○ 里填上 “&gt;”、“&lt;” 或 “=”：1/3 ○ 1/5，&nbsp;2/4 ○ 1/2。</li>
        </ol>
        <details>
        <summary>查看答案</summary>
        <p>1. 1/3；&nbsp;2. 3/8；&nbsp;3. 1/3 &gt; 1/5，2/4 = 1/2。</p>
        </details>
        </section>

        <footer>
        <p lang="en">Fractions name equal parts of a whole: the denominator (below the line) says how many equal
        parts, the numerator (above the line) says how many of them we take.</p>
        </footer>
        </main>
        </body>
        </html>

        """

    private static let mathStyleCSS = """
        /* Satchel demo lesson: readable on a 360px phone, no external fonts. */
        *, *::before, *::after { box-sizing: border-box; }
        html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
        body {
            margin: 0;
            background: #fffdf7;
            color: #222;
            font-family: "PingFang SC", "Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "Source Han Sans SC",
                sans-serif;
            font-size: 18px;
            line-height: 1.75;
        }
        main { max-width: 40rem; margin: 0 auto; padding: 1rem; }
        header { border-bottom: 3px solid #f0a030; margin-bottom: 1rem; }
        h1 { font-size: 1.7rem; margin: 0.2rem 0; color: #b85c00; }
        h2 { font-size: 1.25rem; margin: 1.5rem 0 0.5rem; color: #8a4500; }
        p { margin: 0.5rem 0; }
        .meta { color: #666; font-size: 0.9rem; margin: 0; }
        .en { color: #666; margin-top: 0; }
        .frac { font-weight: bold; color: #b85c00; white-space: nowrap; }
        .tip { background: #fff1d6; border-left: 4px solid #f0a030; padding: 0.5rem 0.75rem; }
        figure { margin: 1rem 0; text-align: center; }
        img { max-width: 100%; height: auto; }
        figcaption { color: #555; font-size: 0.9rem; }
        ol { padding-left: 1.5rem; }
        li { margin: 0.4rem 0; }
        details { background: #f4f4f4; padding: 0.5rem 0.75rem; border-radius: 6px; }
        summary { cursor: pointer; color: #8a4500; }
        footer { margin-top: 2rem; border-top: 1px solid #ddd; color: #666; font-size: 0.9rem; }

        """

    /// Two pizzas: one cut in halves, one in quarters, each with one part shaded.
    private static let pizzaSVG = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 200" width="320" height="200">
          <title>二分之一和四分之一 (1/2 and 1/4)</title>
          <rect width="320" height="200" fill="#fffdf7"/>
          <g stroke="#8a4500" stroke-width="3">
            <circle cx="80" cy="85" r="65" fill="#fbe3b0"/>
            <path d="M80 20 A65 65 0 0 0 80 150 Z" fill="#f0a030"/>
            <line x1="80" y1="20" x2="80" y2="150"/>
            <circle cx="240" cy="85" r="65" fill="#fbe3b0"/>
            <path d="M240 85 L240 20 A65 65 0 0 1 305 85 Z" fill="#f0a030"/>
            <line x1="240" y1="20" x2="240" y2="150"/>
            <line x1="175" y1="85" x2="305" y2="85"/>
          </g>
          <g font-family="sans-serif" font-size="22" font-weight="bold" fill="#8a4500" text-anchor="middle">
            <text x="80" y="185">1/2</text>
            <text x="240" y="185">1/4</text>
          </g>
        </svg>

        """

    // MARK: - Chinese lesson

    private static let poemLessonHTML = """
        <!DOCTYPE html>
        <html lang="zh-CN">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>静夜思 · Quiet Night Thoughts</title>
        <link rel="stylesheet" href="style.css">
        </head>
        <body>
        <main>
        <header>
        <p class="meta">小学 · 三年级 · 语文 · 古诗诵读</p>
        <h1>静夜思</h1>
        <p class="en" lang="en">Quiet Night Thoughts</p>
        </header>

        <figure>
        <img src="moon.svg" width="320" height="200" alt="夜空中一轮明月，地上洒满白白的月光，像一层霜。">
        </figure>

        <section class="poem">
        <p class="author">〔唐〕李白</p>
        <p>床前明月光，<br>疑是地上霜。<br>举头望明月，<br>低头思故乡。</p>
        </section>

        <section>
        <h2>字词注释</h2>
        <dl>
        <dt>静夜思</dt><dd>在安静的夜晚产生的思念。</dd>
        <dt>疑</dt><dd>好像，以为。</dd>
        <dt>举头</dt><dd>抬起头。</dd>
        <dt>思</dt><dd>想念，思念。</dd>
        <dt>故乡</dt><dd>家乡，出生和长大的地方。</dd>
        </dl>
        </section>

        <section>
        <h2>译文</h2>
        <p>明亮的月光洒在床前，好像地上铺了一层白白的霜。我抬起头，望着天上的明月；
        又低下头，思念起远方的家乡。</p>
        </section>

        <section>
        <h2>读一读，想一想</h2>
        <ol>
        <li>有感情地朗读全诗，注意停顿：床前 / 明月光，疑是 / 地上霜。</li>
        <li>诗人为什么会把月光看成“霜”？</li>
        <li>“举头”和“低头”时，诗人分别在做什么、想什么？</li>
        </ol>
        <p class="tip">背诵提示：先记住四个动作——看月光、以为是霜、抬头望月、低头想家。</p>
        </section>

        <footer>
        <p lang="en">Li Bai (701–762) wrote this short poem about seeing moonlight on the floor, mistaking it for
        frost, looking up at the moon and thinking of home. It is one of the best-known poems in China.</p>
        </footer>
        </main>
        </body>
        </html>

        """

    private static let poemStyleCSS = """
        /* Satchel demo lesson: readable on a 360px phone, no external fonts. */
        *, *::before, *::after { box-sizing: border-box; }
        html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
        body {
            margin: 0;
            background: #f7f8fc;
            color: #222;
            font-family: "PingFang SC", "Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "Source Han Sans SC",
                sans-serif;
            font-size: 18px;
            line-height: 1.75;
        }
        main { max-width: 40rem; margin: 0 auto; padding: 1rem; }
        header { border-bottom: 3px solid #3a4a8a; margin-bottom: 1rem; }
        h1 { font-size: 1.7rem; margin: 0.2rem 0; color: #26336b; }
        h2 { font-size: 1.25rem; margin: 1.5rem 0 0.5rem; color: #26336b; }
        p { margin: 0.5rem 0; }
        .meta { color: #666; font-size: 0.9rem; margin: 0; }
        .en { color: #666; margin-top: 0; }
        figure { margin: 1rem 0; text-align: center; }
        img { max-width: 100%; height: auto; border-radius: 8px; }
        .poem {
            text-align: center;
            font-family: "Songti SC", "Noto Serif CJK SC", "Noto Serif SC", "SimSun", serif;
            font-size: 1.5rem;
            line-height: 2;
            letter-spacing: 0.1em;
        }
        .poem .author { font-size: 1rem; color: #555; margin: 0; }
        dl { margin: 0.5rem 0; }
        dt { font-weight: bold; color: #26336b; }
        dd { margin: 0 0 0.5rem 1.5rem; }
        ol { padding-left: 1.5rem; }
        li { margin: 0.4rem 0; }
        .tip { background: #e6e9f7; border-left: 4px solid #3a4a8a; padding: 0.5rem 0.75rem; }
        footer { margin-top: 2rem; border-top: 1px solid #ddd; color: #666; font-size: 0.9rem; }

        """

    /// A full moon over a frosty, moonlit ground.
    private static let moonSVG = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 200" width="320" height="200">
          <title>明月 (the bright moon)</title>
          <rect width="320" height="200" fill="#1d2b53"/>
          <circle cx="230" cy="62" r="48" fill="#fff3b0" opacity="0.2"/>
          <circle cx="230" cy="62" r="34" fill="#fff3b0"/>
          <circle cx="218" cy="54" r="6" fill="#f2e39a"/>
          <circle cx="240" cy="74" r="4" fill="#f2e39a"/>
          <g fill="#ffffff">
            <circle cx="40" cy="30" r="1.8"/>
            <circle cx="95" cy="60" r="1.4"/>
            <circle cx="140" cy="22" r="1.8"/>
            <circle cx="60" cy="100" r="1.2"/>
            <circle cx="170" cy="95" r="1.4"/>
            <circle cx="295" cy="130" r="1.2"/>
          </g>
          <path d="M0 150 Q80 135 160 148 T320 145 V200 H0 Z" fill="#c9d4ea"/>
          <path d="M0 170 Q90 160 170 172 T320 168 V200 H0 Z" fill="#e8eef8"/>
        </svg>

        """

    // MARK: - Fraction bars chart

    /// Four strips of the same length, split equally into 1, 2, 3 and 4 parts and labelled.
    private static func fractionBarsSVG() -> String {
        let colors = ["#f0a030", "#6cb26c", "#5b8fd6", "#d46a8c"]
        let left = 20
        let width = 280
        let barHeight = 34
        var boxes: [String] = []
        var labels: [String] = []
        for parts in 1...4 {
            let y = 20 + (parts - 1) * (barHeight + 10)
            let label = parts == 1 ? "1" : "1/\(parts)"
            for index in 0..<parts {
                // Integer division keeps every coordinate whole, and the parts still fill the strip exactly.
                let x = left + width * index / parts
                let partWidth = left + width * (index + 1) / parts - x
                boxes.append(
                    "    <rect x=\"\(x)\" y=\"\(y)\" width=\"\(partWidth)\" height=\"\(barHeight)\" "
                        + "fill=\"\(colors[parts - 1])\"/>"
                )
                labels.append(
                    "    <text x=\"\(x + partWidth / 2)\" y=\"\(y + barHeight / 2 + 7)\">\(label)</text>"
                )
            }
        }
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 200" width="320" height="200">
              <title>分数条 (fraction bars)</title>
              <rect width="320" height="200" fill="#ffffff"/>
              <g stroke="#333333" stroke-width="2">
            \(boxes.joined(separator: "\n"))
              </g>
              <g fill="#222222" font-family="sans-serif" font-size="18" font-weight="bold" text-anchor="middle">
            \(labels.joined(separator: "\n"))
              </g>
            </svg>

            """
    }

    // MARK: - Video

    /// The embedded demo MP4.
    private static func introVideo() -> Data {
        let base64 = SampleVideo.mp4Base64.filter { !$0.isWhitespace }
        // The literal is compile-time-constant data checked when it was embedded, so decoding cannot fail.
        return Data(base64Encoded: base64)!
    }

    // MARK: - Worksheet PDF

    /// A one-page A4 PDF 1.4 worksheet on fractions, in Helvetica with ASCII text.
    static func worksheetPDF() -> Data {
        var page = PDFPage()
        page.text("Satchel sample worksheet: fractions", x: 56, y: 780, size: 20, bold: true)
        page.text("Primary grade 3 - Mathematics", x: 56, y: 758, size: 12)
        page.text("Name: ____________________   Class: __________   Date: __________", x: 56, y: 724, size: 12)
        page.line(from: (56, 708), to: (539, 708))

        page.text("A. What fraction of each strip is shaded?", x: 56, y: 680, size: 14, bold: true)
        let strips: [(parts: Int, shaded: Int)] = [(2, 1), (4, 3), (3, 1)]
        for (row, strip) in strips.enumerated() {
            let y = 640 - row * 40
            page.text("\(row + 1).", x: 56, y: y + 8, size: 12)
            page.strip(x: 80, y: y, width: 240, height: 24, parts: strip.parts, shaded: strip.shaded)
            page.text("= ______", x: 336, y: y + 8, size: 12)
        }

        page.text("B. Add or subtract.", x: 56, y: 512, size: 14, bold: true)
        let sums = [
            "1/2 + 1/4 = ______", "1/4 + 1/4 = ______", "3/4 - 1/4 = ______",
            "1/3 + 1/3 = ______", "5/8 - 2/8 = ______", "2/5 + 3/5 = ______",
        ]
        for (index, sum) in sums.enumerated() {
            let x = index % 2 == 0 ? 56 : 300
            let y = 484 - index / 2 * 28
            page.text("\(index + 4). \(sum)", x: x, y: y, size: 12)
        }

        page.text("C. Compare. Write >, < or =.", x: 56, y: 384, size: 14, bold: true)
        let comparisons = ["1/2 ____ 1/3", "2/4 ____ 1/2", "1/5 ____ 1/4", "3/6 ____ 1/2"]
        for (index, comparison) in comparisons.enumerated() {
            let x = index % 2 == 0 ? 56 : 300
            let y = 356 - index / 2 * 28
            page.text("\(index + 10). \(comparison)", x: x, y: y, size: 12)
        }

        page.text("D. Draw and colour.", x: 56, y: 284, size: 14, bold: true)
        page.text("14. Split the circle into 4 equal parts and colour 1/4 of it.", x: 56, y: 258, size: 12)
        page.circle(centerX: 150, centerY: 180, radius: 56)

        page.line(from: (56, 70), to: (539, 70))
        page.text("Satchel demo content. Free to print and copy for classroom use.", x: 56, y: 54, size: 9)
        return PDFDocument(title: "Satchel sample worksheet: fractions", content: page.content).data()
    }
}

// MARK: - Minimal PDF writer

/// The drawing operators of one page, in PDF user space (points, origin at the bottom left).
private struct PDFPage {
    /// The content stream so far.
    var content = ""

    /// Draws one line of ASCII text in Helvetica (`/F1`) or Helvetica-Bold (`/F2`).
    mutating func text(_ text: String, x: Int, y: Int, size: Int, bold: Bool = false) {
        content += "BT /\(bold ? "F2" : "F1") \(size) Tf \(x) \(y) Td (\(Self.escape(text))) Tj ET\n"
    }

    /// Draws a thin straight line.
    mutating func line(from start: (Int, Int), to end: (Int, Int)) {
        content += "0.6 w \(start.0) \(start.1) m \(end.0) \(end.1) l S\n"
    }

    /// Draws a strip split into `parts` equal boxes, the first `shaded` of them filled grey.
    mutating func strip(x: Int, y: Int, width: Int, height: Int, parts: Int, shaded: Int) {
        for index in 0..<parts {
            let left = x + width * index / parts
            let boxWidth = x + width * (index + 1) / parts - left
            let paint = index < shaded ? "B" : "S"
            content += "1 w 0.75 g \(left) \(y) \(boxWidth) \(height) re \(paint)\n"
        }
        content += "0 g\n"
    }

    /// Draws a circle outline from four Bezier curves.
    mutating func circle(centerX: Int, centerY: Int, radius: Int) {
        // 0.5523 is the control-point distance that makes four cubic Beziers approximate a circle.
        let k = Int((Double(radius) * 0.5523).rounded())
        let (cx, cy, r) = (centerX, centerY, radius)
        content += "1 w \(cx + r) \(cy) m\n"
        content += "\(cx + r) \(cy + k) \(cx + k) \(cy + r) \(cx) \(cy + r) c\n"
        content += "\(cx - k) \(cy + r) \(cx - r) \(cy + k) \(cx - r) \(cy) c\n"
        content += "\(cx - r) \(cy - k) \(cx - k) \(cy - r) \(cx) \(cy - r) c\n"
        content += "\(cx + k) \(cy - r) \(cx + r) \(cy - k) \(cx + r) \(cy) c\n"
        content += "S\n"
    }

    /// Escapes a PDF literal string; anything outside printable ASCII becomes `?`.
    static func escape(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "(", ")", "\\": result += "\\" + String(scalar)
            case " "..."~": result.unicodeScalars.append(scalar)
            default: result += "?"
            }
        }
        return result
    }
}

/// A one-page PDF 1.4 file with the two standard Helvetica fonts, assembled with exact cross-reference offsets.
private struct PDFDocument {
    /// The document title for the information dictionary (ASCII).
    var title: String
    /// The page's content stream (ASCII).
    var content: String

    /// The complete file.
    func data() -> Data {
        let stream = Array(content.utf8)
        // Object n is at index n - 1.
        let objects: [[UInt8]] = [
            Array("<< /Type /Catalog /Pages 2 0 R >>".utf8),
            Array("<< /Type /Pages /Kids [3 0 R] /Count 1 >>".utf8),
            Array(
                ("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                    + "/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> /Contents 4 0 R >>").utf8),
            Array("<< /Length \(stream.count) >>\nstream\n".utf8) + stream + Array("\nendstream".utf8),
            Array("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".utf8),
            Array("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>".utf8),
            Array("<< /Title (\(PDFPage.escape(title))) /Producer (Satchel) >>".utf8),
        ]
        // The second line is a comment with bytes above 127, which marks the file as binary for transfer tools.
        var bytes = Array("%PDF-1.4\n%".utf8) + [0xE2, 0xE3, 0xCF, 0xD3, 0x0A]
        var offsets: [Int] = []
        for (index, body) in objects.enumerated() {
            offsets.append(bytes.count)
            bytes += Array("\(index + 1) 0 obj\n".utf8) + body + Array("\nendobj\n".utf8)
        }
        let xrefOffset = bytes.count
        // Every cross-reference entry is exactly 20 bytes: 10-digit offset, 5-digit generation, type, space, LF.
        var xref = "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for offset in offsets {
            let digits = String(offset)
            xref += String(repeating: "0", count: max(0, 10 - digits.count)) + digits + " 00000 n \n"
        }
        xref += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R /Info \(objects.count) 0 R >>\n"
        xref += "startxref\n\(xrefOffset)\n%%EOF\n"
        bytes += Array(xref.utf8)
        return Data(bytes)
    }
}
