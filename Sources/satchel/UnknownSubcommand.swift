import ArgumentParser
import Foundation
import SatchelCore

/// Catches a mistyped subcommand (`satchel stauts`) before ArgumentParser, which would answer in English about the
/// next option, and names the nearest subcommand in the user's language.
struct UnknownSubcommand: Error, Equatable {
    /// The word that is not a subcommand.
    var typed: String
    /// The command it was typed after, such as `satchel` or `satchel bundles`.
    var parent: String
    /// The nearest subcommand names, best first; empty when none is close.
    var suggestions: [String]
    /// Every subcommand of `parent`.
    var known: [String]

    /// The first unknown subcommand in `arguments` (the arguments after the program name), walking down from `root`
    /// while the words name subcommands; nil when every word names one or an option comes first.
    static func find(in arguments: [String], root: any ParsableCommand.Type) -> UnknownSubcommand? {
        var command = root
        var path = [root._commandName]
        for word in arguments {
            let subcommands = command.configuration.subcommands.filter {
                $0.configuration.shouldDisplay
            }
            if subcommands.isEmpty || word.hasPrefix("-") || word == "help" { return nil }
            if let next = command.configuration.subcommands.first(where: { $0._commandName == word }) {
                command = next
                path.append(word)
                continue
            }
            let names = subcommands.map { $0._commandName }
            return UnknownSubcommand(
                typed: word, parent: path.joined(separator: " "), suggestions: nearest(to: word, in: names),
                known: names)
        }
        return nil
    }

    /// The names at the smallest edit distance from `word` (a swap of two letters counts once), if that distance
    /// is small for the word's length; a name that starts with `word` counts as near.
    static func nearest(to word: String, in names: [String]) -> [String] {
        let lowered = word.lowercased()
        let prefixed = names.filter { lowered.count >= 2 && $0.hasPrefix(lowered) }
        if !prefixed.isEmpty { return prefixed }
        let scored = names.map { ($0, distance(lowered, $0)) }
        guard let best = scored.map(\.1).min(), best <= max(1, min(3, lowered.count / 2)) else { return [] }
        return scored.filter { $0.1 == best }.map(\.0)
    }

    /// The optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }

    /// What to tell the user, in both languages.
    var message: LocalizedText {
        let list = known.joined(separator: ", ")
        if let first = suggestions.first {
            let zhOthers = suggestions.count > 1 ? "（或 \(suggestions.dropFirst().joined(separator: "、"))）" : ""
            let enOthers = suggestions.count > 1 ? " (or \(suggestions.dropFirst().joined(separator: ", ")))" : ""
            return LocalizedText(
                zh: "没有子命令“\(typed)”。您是不是想用：\(parent) \(first)\(zhOthers)？\n可用的子命令：\(list)。运行 \(parent) --help 查看说明。",
                en: "There is no subcommand '\(typed)'. Did you mean: \(parent) \(first)\(enOthers)?\n"
                    + "Subcommands: \(list). Run \(parent) --help for more.")
        }
        return LocalizedText(
            zh: "没有子命令“\(typed)”。可用的子命令：\(list)。运行 \(parent) --help 查看说明。",
            en: "There is no subcommand '\(typed)'. Subcommands: \(list). Run \(parent) --help for more.")
    }
}
