/// The benchmark's view of one room: its peers' sockets in join order, all on one event loop.
///
/// Traffic goes round a ring: peer i sends to peer i+1 (the last to the first), so every socket sends
/// and receives at the same rate. Against the echo server each peer is its own target: the message
/// makes the same client → server → client trip, only back to the sender's socket.
final class SignalingClientRoom {
    let index: Int
    private(set) var peers: [SignalingPeerHandler?]
    /// Which peer sends the next paced message.
    private var nextSender = 0

    init(index: Int, size: Int) {
        self.index = index
        peers = Array(repeating: nil, count: size)
    }

    func attach(_ peer: SignalingPeerHandler) {
        guard peers.indices.contains(peer.slot) else { return }
        peers[peer.slot] = peer
    }

    /// Addresses every peer to its target. False when a peer is missing or has no usable id.
    func wire(echo: Bool) -> Bool {
        for (slot, peer) in peers.enumerated() {
            guard let peer else { return false }
            let target: String?
            if echo {
                target = "echo"
            } else {
                target = peers[(slot + 1) % peers.count]?.peerId
            }
            guard let target, let prefix = SignalingWire.prefix(to: target) else { return false }
            peer.prefix = prefix
        }
        return true
    }

    /// The peer whose turn it is to send a paced message.
    func takeSender() -> SignalingPeerHandler? {
        guard !peers.isEmpty else { return nil }
        let peer = peers[nextSender % peers.count]
        nextSender = (nextSender + 1) % peers.count
        return peer
    }

    func closeAll() {
        for peer in peers { peer?.close() }
    }

    /// Breaks the room ↔ handler reference cycle once the sockets are closed.
    func release() {
        peers = Array(repeating: nil, count: peers.count)
    }
}
