import PackagePlugin

/// Embeds a target's web files (`.html`, `.css`, `.js`, `.svg`) in its code as `EmbeddedFiles`,
/// through crow-embed (tools/embed). The command reruns when any of the files changes.
@main
struct EmbedFiles: BuildToolPlugin {
    static let extensions: Set<String> = ["html", "css", "js", "svg"]

    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let files = target.sourceFiles.map(\.url).filter { Self.extensions.contains($0.pathExtension) }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedFiles.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(files.count) files of \(target.name)",
                executable: try context.tool(named: "CrowEmbed").url,
                arguments: [output.path] + files.map(\.path),
                inputFiles: files,
                outputFiles: [output]
            )
        ]
    }
}
