// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "crow-calls",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "crow-calls", targets: ["CrowCalls"]),
        .executable(name: "crow-ledger", targets: ["CrowLedger"]),
        .executable(name: "crow-bench", targets: ["CrowBench"]),
        .executable(name: "crow-testkit", targets: ["CrowTestKit"]),
        .library(name: "Ledger", targets: ["Ledger"]),
        .library(name: "Projections", targets: ["Projections"]),
        .library(name: "Decisions", targets: ["Decisions"]),
        .library(name: "CallStore", targets: ["CallStore"]),
        .library(name: "OwnerStore", targets: ["OwnerStore"]),
        .library(name: "Nostr", targets: ["Nostr"]),
        .library(name: "Signaling", targets: ["Signaling"]),
        .library(name: "Invites", targets: ["Invites"]),
        .library(name: "PushDelivery", targets: ["PushDelivery"]),
        .library(name: "CallsMCP", targets: ["CallsMCP"]),
        .library(name: "Gateway", targets: ["Gateway"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk.git", from: "0.12.1"),
    ],
    targets: [
        // System-library shims. libsecp256k1 (BIP-340, x-only keys, ECDH) and OpenSSL's libcrypto
        // (ChaCha20, AES-CBC), used by the Nostr module only (its vector tests exercise them).
        .systemLibrary(
            name: "CSecp256k1",
            pkgConfig: "libsecp256k1",
            providers: [.apt(["libsecp256k1-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // One C function: SQLite's process-wide threading setting, which Swift cannot set because
        // `sqlite3_config` is variadic (docs/LEDGER.md, "Connections").
        .target(
            name: "CSQLiteSetup",
            linkerSettings: [.linkedLibrary("sqlite3")]
        ),
        // The numbered SQL migrations, embedded in the binary so an installed gateway needs no files beside it.
        .target(
            name: "LedgerMigrations",
            path: "Migrations",
            exclude: ["README.md"],
            resources: [
                .embedInCode("0001_events.sql"),
                .embedInCode("0002_projections.sql"),
                .embedInCode("0003_events_refuse_replace.sql"),
                .embedInCode("0004_owner.sql"),
                .embedInCode("0005_nostr_relays.sql"),
                .embedInCode("0006_notifications.sql"),
                .embedInCode("0007_gateway_settings.sql"),
                .embedInCode("0008_events_without_type_index.sql"),
                .embedInCode("0009_unique_keys_as_named_indexes.sql"),
                .embedInCode("0010_rooms_and_history_by_position.sql"),
                .embedInCode("0011_fewer_index_writes.sql"),
                .embedInCode("0012_digests_as_bytes.sql"),
                .embedInCode("0013_history_from_rooms_and_invites.sql"),
            ],
            swiftSettings: swiftSettings
        ),
        // The build tool and plugin that embed the web client's files as string literals (tools/embed).
        .executableTarget(name: "CrowEmbed", path: "tools/embed", swiftSettings: swiftSettings),
        .plugin(name: "EmbedFiles", capability: .buildTool(), dependencies: ["CrowEmbed"]),
        // The web client (pages, styles, ES modules), embedded in the binary by the EmbedFiles plugin. No build step of its own.
        .target(
            name: "WebAssets",
            path: "Web",
            exclude: ["README.md"],
            swiftSettings: swiftSettings,
            plugins: ["EmbedFiles"]
        ),
        .target(
            name: "Ledger",
            dependencies: [
                "LedgerMigrations",
                "CSQLiteSetup",
                "TextCoding",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Projections",
            dependencies: [
                "Ledger",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Decisions",
            dependencies: [
                "CrowSecurity",
                "Ledger",
                "Projections",
            ],
            swiftSettings: swiftSettings
        ),
        // The command loop of the calls domain: read, decide, append, retry.
        .target(
            name: "CallStore",
            dependencies: [
                "CrowSecurity",
                "Ledger",
                "Projections",
                "Decisions",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // Nostr: keys, NIP-01 events, NIP-44, NIP-04 (receive), on libsecp256k1, libcrypto and
        // swift-crypto. The only module that imports the C shims.
        // A private key in a file: created once, mode 0600, atomically (the Nostr and VAPID keys).
        .target(name: "SecretFile", swiftSettings: swiftSettings),
        .target(name: "TextCoding", swiftSettings: swiftSettings),
        // Secrets (random tokens, their hashes), constant-time comparison and the rules for untrusted
        // text: general helpers that the calls domain and the owner's store both use.
        .target(
            name: "CrowSecurity",
            dependencies: [
                "TextCoding",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Web Push (RFC 8291 encryption, RFC 8292 VAPID) and ntfy messages, without I/O.
        .target(
            name: "Notify",
            dependencies: [
                "SecretFile",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Nostr",
            dependencies: [
                "SecretFile",
                "TextCoding",
                "CSecp256k1",
                "COpenSSL",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The owner's account, sessions, API tokens and contacts (ordinary tables in the ledger's file).
        .target(
            name: "OwnerStore",
            dependencies: [
                "Ledger",
                "CrowSecurity",
                "Nostr",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // Simulated traffic on a virtual clock: for crow-ledger, crow-bench and tests only.
        .target(
            name: "CallSimulation",
            dependencies: [
                "CrowSecurity",
                "Ledger",
                "Decisions",
                "CallStore",
            ],
            swiftSettings: swiftSettings
        ),
        // Rooms on the wire: the pure RoomMachine, the hub that follows the ledger and relays signals
        // between sockets, the per-client abuse limits and the ICE servers. No HTTP router, no SQL.
        .target(
            name: "Signaling",
            dependencies: [
                "Ledger",
                "Projections",
                "Decisions",
                "CallStore",
                "CrowSecurity",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Invites between gateways over Nostr: composing them, the inbox's intake, the outbox, answers,
        // the room-end notifier, and the relay publisher and subscriber.
        .target(
            name: "Invites",
            dependencies: [
                "Ledger",
                "Projections",
                "Decisions",
                "CallStore",
                "OwnerStore",
                "Nostr",
                "CrowSecurity",
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Web Push and ntfy delivery: the dispatcher that follows the ledger, the HTTP sender and the
        // bookkeeping of each send, on top of Notify's message building.
        .target(
            name: "PushDelivery",
            dependencies: [
                "Ledger",
                "Projections",
                "CallStore",
                "OwnerStore",
                "Notify",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The call tools for an AI assistant (`crow-calls mcp`).
        .target(
            name: "CallsMCP",
            dependencies: [
                "Ledger",
                "Projections",
                "CallStore",
                "OwnerStore",
                "Nostr",
                "Invites",
                "TextCoding",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // HTTP only: controllers, middleware, owner pages, web routes, the stream and the bell,
        // configuration, the error table and `buildApplication`, the composition root.
        .target(
            name: "Gateway",
            dependencies: [
                "Ledger",
                "Projections",
                "Decisions",
                "CallStore",
                "OwnerStore",
                "Nostr",
                "Notify",
                "Signaling",
                "Invites",
                "PushDelivery",
                "WebAssets",
                "CrowSecurity",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "CrowCalls",
            dependencies: [
                "Ledger",
                "CallStore",
                "OwnerStore",
                "Gateway",
                "CallsMCP",
                "Nostr",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "CrowLedger",
            dependencies: [
                "Ledger",
                "Projections",
                "CallStore",
                "CallSimulation",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "tools/crow-ledger",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "CrowBench",
            dependencies: [
                "CrowSecurity",
                "Ledger",
                "Projections",
                "Decisions",
                "CallStore",
                "OwnerStore",
                "Gateway",
                "Nostr",
                "HarnessKit",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            path: "tools/bench",
            exclude: ["README.md", "python"],
            swiftSettings: swiftSettings
        ),
        // Appends what later parts (the Nostr inbox) will append, for the browser suite and benchmarks.
        .executableTarget(
            name: "CrowTestKit",
            dependencies: [
                "Invites",
                "CrowSecurity",
                "Ledger",
                "Decisions",
                "CallStore",
                "Nostr",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "tools/testkit",
            swiftSettings: swiftSettings
        ),
        // The harness helpers that the tests and crow-bench share: temporary directories, waiting on a
        // condition, running a tool to completion, a raw loopback socket. It lives under Tests/ because
        // no shipped binary links it (crow-bench is a harness too), and it depends on nothing of ours.
        .target(
            name: "HarnessKit",
            path: "Tests/HarnessKit",
            swiftSettings: swiftSettings
        ),
        // Helpers shared by the test targets (and HarnessKit, re-exported): the built binaries,
        // `crow-calls serve` as a child process; and the seeded generator of hostile Nostr input
        // (`IntakeFuzzer`) that the Nostr and gateway fuzz tests share.
        .target(
            name: "TestSupport",
            dependencies: ["HarnessKit", "Nostr", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LedgerTests",
            dependencies: [
                "Ledger", "Projections", "Decisions", "CallStore", "CallSimulation", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ProjectionsTests",
            dependencies: [
                "Ledger", "Projections", "Decisions", "CallStore", "CallSimulation", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "NostrTests",
            dependencies: ["Nostr", "TestSupport", .product(name: "Crypto", package: "swift-crypto")],
            exclude: ["Vectors"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "NotifyTests",
            dependencies: ["Notify", .product(name: "Crypto", package: "swift-crypto")],
            exclude: ["Vectors"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CrowSecurityTests",
            dependencies: ["CrowSecurity"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DecisionsTests",
            dependencies: ["Ledger", "Projections", "Decisions", "CrowSecurity"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SignalingTests",
            dependencies: [
                "Signaling", "CallStore", "CallSimulation", "Ledger", "Projections", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "InvitesTests",
            dependencies: [
                "Invites", "CallStore", "CallSimulation", "OwnerStore", "Nostr", "Ledger", "Projections", "Decisions", "CrowSecurity", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PushDeliveryTests",
            dependencies: [
                "PushDelivery", "CallStore", "CallSimulation", "Decisions", "Ledger", "Notify", "OwnerStore", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CallsMCPTests",
            dependencies: ["CallsMCP", "OwnerStore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway", "Signaling", "Invites", "CrowSecurity", "WebAssets",
                "CallStore", "OwnerStore", "CallSimulation", "Ledger", "Projections", "Decisions", "Nostr", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
