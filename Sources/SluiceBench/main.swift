import Foundation
let arguments = Array(CommandLine.arguments.dropFirst())
do {
    switch arguments.first {
    case "op": try await Operation.run(Array(arguments.dropFirst()))
    default: print("usage: SluiceBench op clone|fetch|check URL STATE_DIR")
    }
} catch {
    FileHandle.standardError.write(Data("SluiceBench: \(error)\n".utf8))
    exit(1)
}
