/// Columns of text lined up for a terminal, the one layout of every table crow-bench prints: figures
/// right-aligned, text columns (`leftAligned`, the first by default) left-aligned, two spaces apart, a
/// rule under the header. A row may
/// carry notes, printed indented under it outside the columns (a figure's details, why a target missed).
struct TextTable {
    private enum Line {
        case cells([String])
        case note(String)
    }

    let header: [String]
    private let leftAligned: Set<Int>
    private var lines: [Line] = []

    init(_ header: [String], leftAligned: Set<Int> = [0]) {
        self.header = header
        self.leftAligned = leftAligned
    }

    mutating func add(_ cells: [String], notes: [String] = []) {
        lines.append(.cells(cells))
        lines += notes.map { .note($0) }
    }

    func render() -> String {
        var widths = header.map(\.count)
        for case .cells(let cells) in lines {
            for (index, cell) in cells.enumerated() {
                if index < widths.count { widths[index] = max(widths[index], cell.count) } else { widths.append(cell.count) }
            }
        }
        func row(_ cells: [String]) -> String {
            var line = cells.enumerated().map { index, cell in
                let fill = String(repeating: " ", count: widths[index] - cell.count)
                return leftAligned.contains(index) ? cell + fill : fill + cell
            }.joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            return line
        }
        var out = [row(header), String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1))]
        for line in lines {
            switch line {
            case .cells(let cells): out.append(row(cells))
            case .note(let text): out.append("    " + text)
            }
        }
        return out.joined(separator: "\n")
    }
}
