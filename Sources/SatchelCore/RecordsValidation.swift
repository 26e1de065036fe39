import Foundation

/// Rules for account fields shared by the node's web forms, its command line and the platform's operators.
public enum RecordsValidation {
    /// 3 to 32 characters from a-z, 0-9, `.`, `_` and `-`.
    public static func isValidUsername(_ text: String) -> Bool {
        (3...32).contains(text.count)
            && text.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "_" || $0 == "-"
            }
    }
}
