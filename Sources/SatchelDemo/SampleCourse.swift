import Foundation
import SatchelBundles
import SatchelCore

/// A small teacher-training course for the demo, ready for `satchel pack`: a reading module and a module with a quiz
/// the node scores, each with the minimum time a teacher must spend in it before it counts.
public enum SampleCourse {
    /// The course's bundle id.
    public static let bundleID = "demo-ict-training"

    /// Writes the course folder (its pages and `bundle.json`) into `folder`.
    public static func write(to folder: String) throws {
        let description = BundleDescription(
            title: LocalizedText(zh: "示例培训：信息技术应用能力提升", en: "Sample training: ICT skills for teaching"),
            kind: .training,
            resources: [
                Manifest.Resource(
                    id: "slides", title: LocalizedText(zh: "单元一：做一份好读的课件", en: "Module 1: Slides that read well"),
                    type: "course-module", language: "zh-CN", entry: "slides/index.html", creditHours: 1,
                    minimumMinutes: 5),
                Manifest.Resource(
                    id: "video-check",
                    title: LocalizedText(zh: "单元二：课堂视频小测验", en: "Module 2: Classroom video quiz"),
                    type: "exercise", language: "zh-CN", entry: "video-check/index.html", creditHours: 0.5,
                    minimumMinutes: 3,
                    quiz: Manifest.Quiz(questions: [
                        .init(
                            prompt: LocalizedText(
                                zh: "教室里的旧手机和电脑都能播放的视频格式是？",
                                en: "Which video format plays on the classroom's old phones and computers?"),
                            choices: [
                                LocalizedText(zh: "MP4（H.264）", en: "MP4 (H.264)"),
                                LocalizedText(zh: "AVI", en: "AVI"), LocalizedText(zh: "MKV", en: "MKV"),
                            ], answer: 0),
                        .init(
                            prompt: LocalizedText(
                                zh: "一张课件上的文字最好是？", en: "How much text should one slide carry?"),
                            choices: [
                                LocalizedText(zh: "几行要点，字号够大", en: "A few large lines"),
                                LocalizedText(zh: "整页讲稿", en: "The whole script"),
                            ], answer: 0),
                    ])),
            ])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let files: [(String, Data)] = [
            (BundleDescription.fileName, try encoder.encode(description)),
            ("slides/index.html", Data(page(title: "做一份好读的课件", body: slides).utf8)),
            ("video-check/index.html", Data(page(title: "课堂视频小测验", body: videoCheck).utf8)),
        ]
        for (path, data) in files {
            let url = URL(fileURLWithPath: folder).appendingPathComponent(path)
            do {
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try data.write(to: url, options: .atomic)
            } catch {
                throw BundleError(
                    code: .io,
                    message: LocalizedText(
                        zh: "无法写入示例培训文件 \(url.path)。请检查磁盘空间和写入权限。",
                        en: "Cannot write the sample course file \(url.path). "
                            + "Check the free disk space and write permission."), cause: error)
            }
        }
    }

    private static func page(title: String, body: String) -> String {
        """
        <!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1"><title>\(title)</title>
        <style>body{font:18px/1.7 sans-serif;max-width:40em;margin:1em auto;padding:0 1em;color:#222}h1{color:#1f6f54}</style>
        </head><body><h1>\(title)</h1>\(body)</body></html>
        """
    }

    private static let slides = """
        <p>一份好读的课件，让坐在教室最后一排的学生也看得清。</p>
        <ol><li>每页只讲一件事，标题说出这一页的要点。</li>
        <li>正文字号不小于 28 磅，一页不超过六行。</li>
        <li>深色文字配浅色底，不用花哨的背景图。</li>
        <li>图片比文字更能说明问题时，用图片。</li></ol>
        <p>学完后，回到课程页面，点击“标记为已完成”。本单元至少需要学习 5 分钟。</p>
        """

    private static let videoCheck = """
        <p>课堂上播放视频前，先在教室的设备上试一试：</p>
        <ul><li>选用 MP4（H.264）格式，旧手机和电脑都能播放。</li>
        <li>视频尽量短，一段只讲一个知识点。</li>
        <li>课件上的文字少而大，几行要点即可。</li></ul>
        <p>读完后，回到课程页面参加测验（两道题，全部由学校服务器评分）。本单元至少需要学习 3 分钟。</p>
        """
}
