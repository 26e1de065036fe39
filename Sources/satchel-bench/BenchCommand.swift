import ArgumentParser
import Foundation
import SatchelCore
import SatchelStore

/// `satchel-bench`: measurements that drive the node's store directly, for what cannot be run in real time.
@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "satchel-bench",
        abstract: "Satchel 基准测试 · Store benchmarks",
        subcommands: [OfflineYear.self, Search.self]
    )

    /// A year of a school's usage recorded by a node that never reaches the platform, compacted once a simulated day
    /// with the node's own compaction, printing the database's size as it goes.
    struct OfflineYear: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "一年离线使用后的数据库大小 · Database size after a year offline")
        @Option(help: "数据目录（会被清空）· Working folder (emptied)") var data: String
        @Option(help: "天数 · Days") var days = 365
        @Option(help: "每天浏览次数 · Views a day") var views = 2000
        @Option(help: "每次浏览的停留时间记录数 · Time records per view (one per minute a page is visible)")
        var timePerView = 3
        @Option(help: "每天搜索次数 · Searches a day") var searches = 300
        @Option(help: "每天完成的培训模块 · Training modules completed a day") var modules = 20
        @Option(help: "目录中的资源数 · Resources in the catalog") var resources = 500
        @Option(help: "每天用到的不同资源数 · Different resources used a day (the day's lessons of every class)")
        var resourcesADay = 60
        @Option(help: "未同步使用记录上限 · maxPendingUsageEvents") var maxPending = 100_000

        func run() throws {
            try? FileManager.default.removeItem(atPath: data)
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            let path = data + "/satchel.sqlite"
            let database = try SatchelDatabase(path: path)
            var generator = SystemRandomNumberGenerator()
            let teachers = (0..<40).map { _ in UUID() }
            let start = Date().addingTimeInterval(-Double(days) * 86_400)
            let words = ["分数", "三年级数学", "长方形周长", "古诗", "拼音", "乘法口诀", "英语字母", "科学实验", "时分秒", "万以内加减法"]
            Self.say("day  events  database+WAL (MB)  seconds")
            let clock = ContinuousClock()
            let began = clock.now
            for day in 0..<days {
                let morning = start.addingTimeInterval(Double(day) * 86_400 + 8 * 3600)
                var events: [NodeEvent] = []
                func at(_ index: Int, of count: Int) -> Date {
                    morning.addingTimeInterval(Double(index) * 8 * 3600 / Double(max(count, 1)))
                }
                let today = (0..<resourcesADay).map { _ in "r\(Int.random(in: 0..<resources, using: &generator))" }
                for index in 0..<views {
                    let resource = today.randomElement(using: &generator)!
                    let teacher = Bool.random(using: &generator) ? teachers.randomElement(using: &generator) : nil
                    events.append(
                        NodeEvent(
                            occurredAt: at(index, of: views),
                            .view(
                                .init(
                                    bundleId: "maths", resourceId: resource, bytes: 20_000, deviceClass: "phone",
                                    teacherId: teacher))))
                    for minute in 0..<timePerView {
                        events.append(
                            NodeEvent(
                                occurredAt: at(index, of: views).addingTimeInterval(Double(minute + 1) * 60),
                                .timeSpent(.init(bundleId: "maths", resourceId: resource, seconds: 60))))
                    }
                }
                for index in 0..<searches {
                    let query = words.randomElement(using: &generator)!
                    events.append(
                        NodeEvent(occurredAt: at(index, of: searches), .search(.init(query: query, results: 3))))
                }
                for index in 0..<modules {
                    events.append(
                        NodeEvent(
                            occurredAt: at(index, of: modules),
                            .moduleCompleted(
                                .init(
                                    teacherId: teachers[index % teachers.count], bundleId: "ict",
                                    resourceId: "m\(day)-\(index)", creditHours: 1, score: 80))))
                }
                events.sort { $0.occurredAt < $1.occurredAt }
                for chunk in stride(from: 0, to: events.count, by: 4096) {
                    try database.append(contentsOf: Array(events[chunk..<min(chunk + 4096, events.count)]))
                }
                // The node compacts every hour; once a day gives the same bound at a year's scale.
                try database.compact(olderThan: morning, maxPendingUsageEvents: maxPending)
                if [0, 29, 89, 179, days - 1].contains(day) {
                    Self.say(
                        String(
                            format: "%3d  %6d  %17.1f  %7lld", day + 1, try database.pendingEventCount(),
                            Self.megabytes(path), (clock.now - began).components.seconds))
                }
            }
        }

        /// Prints a line at once (stdout to a file is otherwise buffered until the end).
        static func say(_ line: String) {
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }

        static func megabytes(_ path: String) -> Double {
            let size = { (file: String) -> Double in
                ((try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? NSNumber)?.doubleValue ?? 0
            }
            return (size(path) + size(path + "-wal")) / 1_048_576
        }
    }

    /// The store's search, called in-process on an existing node database: the latency of `scripts/bench-catalog.sh`'s
    /// queries without HTTP, so that the search itself can be measured and profiled in a release build.
    struct Search: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "目录搜索耗时（不含 HTTP）· Search latency in the store, without HTTP")
        @Option(help: "节点数据库 · The node's satchel.sqlite") var database: String
        @Option(help: "每个查询的次数 · Runs of each query") var runs = 50

        func run() throws {
            let database = try SatchelDatabase(path: database)
            // The queries of scripts/bench-catalog.sh.
            let queries = [
                "数学", "语文", "分数", "古诗", "面积", "实验", "数", "诗", "maths", "lesson", "chem", "数学 lesson",
                "分数 maths", "电路 physics", "第12课", "不存在的词", "zzzz", "\"(", "AND OR", "历史地图", "三年级数学",
                "3年级数学", "二年级语文上册", "三上数学", "人教版四年级数学下册", "时分秒", "万以内加减法", "20以内进位加法",
                "长方形周长", "认识钟表视频", "有余数的除法练习", "三年级 鸡兔同笼", "小学语文古诗朗读", "部编版六年级语文",
                "圆柱圆锥 课件", "光合作用",
            ]
            let clock = ContinuousClock()
            var all: [Double] = []
            var byQuery: [(String, Double)] = []
            // The first pass reads what the first searches after start-up read; it is timed like the others.
            for query in queries { _ = try database.search(query) }
            for query in queries {
                var times: [Double] = []
                for _ in 0..<runs {
                    let start = clock.now
                    _ = try database.search(query)
                    let spent = clock.now - start
                    times.append(Double(spent.components.attoseconds) / 1e15 + Double(spent.components.seconds) * 1000)
                }
                times.sort()
                all += times
                byQuery.append((query, times[times.count / 2]))
            }
            for (query, median) in byQuery.sorted(by: { $0.1 > $1.1 }).prefix(10) {
                print("  slowest: \(query) median \(String(format: "%.1f", median)) ms")
            }
            all.sort()
            let percentile = { (p: Double) in all[max(0, Int(Double(all.count) * p) - 1)] }
            print(
                String(
                    format: "search in the store: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms", percentile(0.5),
                    percentile(0.95), percentile(0.99)))
        }
    }
}
