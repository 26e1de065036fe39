import Foundation
import SatchelSync
import SatchelTestSupport
import Testing

/// `satchel demo` as a technician runs it: the real binary packs, signs, imports and serves the sample content, and
/// a client fetches a lesson over a real socket.
@Suite(.serialized) struct DemoTests {
    @Test func demoPacksImportsAndServesALessonThenReusesItsWork() async throws {
        let folder = TemporaryDirectory("demo")
        let data = folder.file("demo-data")
        let first = try BackgroundProcess(["demo", "--data", data, "--port", "0", "--host", "127.0.0.1"])
        let port = try await first.waitFor(#"http://127\.0\.0\.1:(\d+)/"#)
        #expect(first.printed.contains("Made, signed and imported the sample bundle demo-primary-g3"))

        let curl = CurlTransport()
        let base = "http://127.0.0.1:\(port)"
        let home = try await curl.get(base + "/")
        #expect(home.status == 200)
        #expect(String(decoding: home.body, as: UTF8.self).contains("认识分数"))
        let lesson = try await curl.get(base + "/content/demo-primary-g3/math-fractions/index.html")
        #expect(lesson.status == 200)
        #expect(lesson.headers["content-type"] == "text/html; charset=utf-8")
        let html = String(decoding: lesson.body, as: UTF8.self)
        #expect(html.contains("分数"))
        let image = try await curl.get(base + "/content/demo-primary-g3/math-fractions/pizza.svg")
        #expect(image.status == 200 && image.headers["content-type"] == "image/svg+xml")
        let video = try await curl.get(
            base + "/content/demo-primary-g3/video/intro.mp4", headers: ["Range": "bytes=0-1023"])
        #expect(video.status == 206 && video.body.count == 1024)
        let pdf = try await curl.get(base + "/content/demo-primary-g3/worksheet.pdf")
        #expect(pdf.body.prefix(5) == Data("%PDF-".utf8))
        // The sample training course: a module asks its minimum time, a quiz module is completed by its quiz.
        _ = try await first.waitFor(#"(/training/demo-ict-training)"#)
        let course = String(decoding: try await curl.get(base + "/training/demo-ict-training").body, as: UTF8.self)
        #expect(course.contains("单元一：做一份好读的课件") && course.contains("要求 5 分钟"), "\(course.prefix(2000))")
        let resourcePage = try await curl.get(base + "/resources/demo-primary-g3/intro-video")
        #expect(String(decoding: resourcePage.body, as: UTF8.self).contains("<video"))
        #expect(await first.stop() == 0)

        // A second run finds the bundle installed and serves at once.
        let second = try BackgroundProcess(["demo", "--data", data, "--port", "0", "--host", "127.0.0.1"])
        let secondPort = try await second.waitFor(#"http://127\.0\.0\.1:(\d+)/"#)
        #expect(second.printed.contains("already installed"))
        let again = try await curl.get(
            "http://127.0.0.1:\(secondPort)/content/demo-primary-g3/math-fractions/index.html")
        #expect(again.body == lesson.body)
        #expect(await second.stop() == 0)
    }
}
