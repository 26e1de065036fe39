import Foundation
import HTTPTypes
import Hummingbird
import SatchelHTTP
import SatchelStore

/// Browsing skips the levels that offer no choice: a school with one stage and one grade installed opens on its
/// subjects, and a subject with one edition and one term opens on its units (issue 17).
extension WebPages {
    /// `filter` taken down through every next level that offers one value held by all of its resources, or nil when
    /// the next level offers a choice (or there is none). Such a level changes nothing in the list, so skipping it
    /// shows the same resources; a value only some resources hold is still offered, and the others stay listed.
    func skippingSingleChoices(_ filter: Classification) throws -> Classification? {
        var deeper = filter
        while let next = deeper.nextLevel {
            let choices = try database.facet(next, filter: deeper)
            guard choices.count == 1, choices[0].count == (try database.browse(deeper, pageSize: 1).total) else {
                break
            }
            deeper.set(next, choices[0].value)
        }
        return deeper == filter ? nil : deeper
    }

    /// A `303 See Other` to the browse page of `filter`, keeping the request's `page` and `lang`. A redirect (rather
    /// than showing the deeper page at the shallower address) keeps the address, the crumbs, the pager and the
    /// language switch all naming the page shown; the browser's back button skips the redirect.
    static func browseRedirect(to filter: Classification, keeping parameters: QueryString) -> Response {
        var parts = Classification.levels.compactMap { level in
            filter.value(at: level).map { "\(level)=\(HTMLText.segment($0))" }
        }
        for name in ["page", "lang"] {
            if let value = parameters[name] { parts.append("\(name)=\(HTMLText.segment(value))") }
        }
        return Response(status: .seeOther, headers: [.location: "/browse?" + parts.joined(separator: "&")])
    }
}
