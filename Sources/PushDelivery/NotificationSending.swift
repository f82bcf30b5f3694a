public import Notify
public import OwnerStore

/// The two sends the dispatcher makes: a Web Push message to one browser and a publish to the ntfy
/// topic. `NotificationSender` makes them over HTTP; tests stand in for the push services, which are
/// outside the machine, with a double that records each notice and answers as told.
public protocol NotificationSending: Sendable {
    /// The ntfy topic's URL, when one is configured (no ntfy send is made without it).
    var ntfyURL: String? { get }
    func push(_ notice: CallNotice, to record: PushSubscriptionRecord) async -> NotificationSender.Outcome
    func ntfy(_ notice: CallNotice) async -> NotificationSender.Outcome
    /// Ends the sends for good (the dispatcher stops).
    func shutdown() async
}

extension NotificationSender: NotificationSending {}
