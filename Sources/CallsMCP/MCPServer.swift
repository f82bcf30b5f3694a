public import CallStore
import Invites
import Foundation
import Ledger
public import Logging
import MCP
public import Nostr
public import OwnerStore

/// `crow-calls mcp`: the call tools (`CallTools`) for an AI assistant, over MCP on stdin and stdout,
/// against the ledger of a running gateway (or of one that will run later: invites wait in the ledger
/// for its outbox). Returns when the client closes the connection. Logs go to stderr; stdout carries
/// only the protocol.
///
/// - Parameters:
///   - configuredAddress: `CROW_GATEWAY_URL`; without it the address saved in the panel is read per invite.
///   - maxPeers: the room size the tools create rooms with.
public func runMCPServer(
    store: CallStore,
    owners: OwnerStore,
    identity: NostrSecretKey,
    configuredAddress: String?,
    maxPeers: Int,
    logger: Logger
) async throws {
    let tools = CallTools(
        store: store,
        owners: owners,
        composer: InviteComposer(identity: identity),
        configuredAddress: configuredAddress,
        maxPeers: maxPeers
    )
    let server = Server(
        name: "crow-calls",
        version: "1.0.0",
        title: "Crow Calls",
        instructions: """
            Tools for the owner's self-hosted Crow Calls gateway: place peer-to-peer audio and video calls to \
            the owner's contacts, end calls, and see incoming and missed calls.
            """,
        capabilities: .init(tools: .init(listChanged: false))
    )
    await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: CallTools.tools) }
    await server.withMethodHandler(CallTool.self) { params in
        do {
            return try await tools.call(params.name, arguments: params.arguments)
        } catch let error as MCPError {
            throw error
        } catch {
            // A storage failure: the model is told plainly, the details go to the log.
            logger.error("an MCP tool call failed", metadata: ["tool": "\(params.name)", "error": "\(error)"])
            return CallTool.Result(
                content: [.text(text: "The gateway's storage did not answer; nothing was changed. Try again.", annotations: nil, _meta: nil)],
                isError: true
            )
        }
    }
    try await server.start(transport: StdioTransport(logger: logger))
    await server.waitUntilCompleted()
}
