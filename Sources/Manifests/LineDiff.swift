/// A shortest line edit script between two texts, by Myers' O(ND) algorithm in linear space
/// (divide and conquer on the middle snake), after trimming the common start and end.
struct LineDiff {
    enum Operation: Equatable {
        case equal, delete, insert
    }

    /// One step of the script: an operation and the 0-based line positions in the old and new text
    /// (for a deletion `new` is where the next new line is, and the other way round for an insertion).
    struct Edit: Equatable {
        var operation: Operation
        var old: Int
        var new: Int
    }

    private let old: [Int]
    private let new: [Int]
    private var keepOld: [Bool]
    private var keepNew: [Bool]

    /// The edit script turning `oldLines` into `newLines`.
    static func edits(from oldLines: [Substring], to newLines: [Substring]) -> [Edit] {
        var numbers: [Substring: Int] = [:]
        let old = oldLines.map { line in numbers[line] ?? { numbers[line] = numbers.count; return numbers.count - 1 }() }
        let new = newLines.map { line in numbers[line] ?? { numbers[line] = numbers.count; return numbers.count - 1 }() }
        var diff = LineDiff(old: old, new: new)
        diff.compare(old: 0..<old.count, new: 0..<new.count)
        return diff.script()
    }

    private init(old: [Int], new: [Int]) {
        self.old = old
        self.new = new
        keepOld = Array(repeating: false, count: old.count)
        keepNew = Array(repeating: false, count: new.count)
    }

    private func script() -> [Edit] {
        var edits: [Edit] = []
        edits.reserveCapacity(max(old.count, new.count))
        var i = 0
        var j = 0
        while i < old.count || j < new.count {
            if i < old.count, !keepOld[i] {
                edits.append(Edit(operation: .delete, old: i, new: j))
                i += 1
            } else if j < new.count, !keepNew[j] {
                edits.append(Edit(operation: .insert, old: i, new: j))
                j += 1
            } else {
                edits.append(Edit(operation: .equal, old: i, new: j))
                i += 1
                j += 1
            }
        }
        return edits
    }

    /// Marks the lines of a longest common subsequence of the two ranges.
    private mutating func compare(old oldRange: Range<Int>, new newRange: Range<Int>) {
        var oldLow = oldRange.lowerBound, oldHigh = oldRange.upperBound
        var newLow = newRange.lowerBound, newHigh = newRange.upperBound
        while oldLow < oldHigh, newLow < newHigh, old[oldLow] == new[newLow] {
            keepOld[oldLow] = true
            keepNew[newLow] = true
            oldLow += 1
            newLow += 1
        }
        while oldLow < oldHigh, newLow < newHigh, old[oldHigh - 1] == new[newHigh - 1] {
            keepOld[oldHigh - 1] = true
            keepNew[newHigh - 1] = true
            oldHigh -= 1
            newHigh -= 1
        }
        guard oldLow < oldHigh, newLow < newHigh else { return }
        guard let (x, y) = middleSnake(oldLow: oldLow, oldCount: oldHigh - oldLow, newLow: newLow, newCount: newHigh - newLow) else {
            return
        }
        compare(old: oldLow..<(oldLow + x), new: newLow..<(newLow + y))
        compare(old: (oldLow + x)..<oldHigh, new: (newLow + y)..<newHigh)
    }

    /// A point (offsets into the ranges) on a shortest edit path where the forward and reverse
    /// searches meet; `nil` when the ranges have nothing in common.
    private func middleSnake(oldLow: Int, oldCount n: Int, newLow: Int, newCount m: Int) -> (Int, Int)? {
        let maxD = (n + m + 1) / 2
        let offset = maxD
        let length = 2 * maxD + 2
        var forward = Array(repeating: -1, count: length)
        var reverse = Array(repeating: -1, count: length)
        forward[offset + 1] = 0
        reverse[offset + 1] = 0
        let delta = n - m
        let checkForward = delta % 2 != 0
        var forwardStart = 0, forwardEnd = 0, reverseStart = 0, reverseEnd = 0
        for d in 0..<maxD {
            for k in stride(from: -d + forwardStart, through: d - forwardEnd, by: 2) {
                let index = offset + k
                var x = (k == -d || (k != d && forward[index - 1] < forward[index + 1])) ? forward[index + 1] : forward[index - 1] + 1
                var y = x - k
                while x < n, y < m, old[oldLow + x] == new[newLow + y] {
                    x += 1
                    y += 1
                }
                forward[index] = x
                if x > n {
                    forwardEnd += 2
                } else if y > m {
                    forwardStart += 2
                } else if checkForward {
                    let reverseIndex = offset + delta - k
                    if reverseIndex >= 0, reverseIndex < length, reverse[reverseIndex] != -1, x >= n - reverse[reverseIndex] {
                        return (x, y)
                    }
                }
            }
            for k in stride(from: -d + reverseStart, through: d - reverseEnd, by: 2) {
                let index = offset + k
                var x = (k == -d || (k != d && reverse[index - 1] < reverse[index + 1])) ? reverse[index + 1] : reverse[index - 1] + 1
                var y = x - k
                while x < n, y < m, old[oldLow + n - x - 1] == new[newLow + m - y - 1] {
                    x += 1
                    y += 1
                }
                reverse[index] = x
                if x > n {
                    reverseEnd += 2
                } else if y > m {
                    reverseStart += 2
                } else if !checkForward {
                    let forwardIndex = offset + delta - k
                    if forwardIndex >= 0, forwardIndex < length, forward[forwardIndex] != -1 {
                        let forwardX = forward[forwardIndex]
                        let forwardY = offset + forwardX - forwardIndex
                        if forwardX >= n - x { return (forwardX, forwardY) }
                    }
                }
            }
        }
        return nil
    }
}
