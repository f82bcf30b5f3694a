public import Logging
public import OwnerStore

/// What the outcome of one send changes, whoever sent it (the dispatcher, or the settings' test
/// button): the metric, and for a browser its failure count, or its removal when its push service has
/// forgotten it.
public struct SendBookkeeping: Sendable {
    let owners: OwnerStore
    let metrics: any DeliveryMetrics
    let logger: Logger

    public init(owners: OwnerStore, metrics: any DeliveryMetrics, logger: Logger) {
        self.owners = owners
        self.metrics = metrics
        self.logger = logger
    }

    public func record(_ outcome: NotificationSender.Outcome, channel: String, subscription: PushSubscriptionRecord?) async {
        switch outcome {
        case .delivered:
            metrics.notification(channel: channel, result: "delivered")
            if let subscription { try? await owners.recordPushOutcome(subscriptionID: subscription.id, delivered: true) }
        case .gone:
            metrics.notification(channel: channel, result: "gone")
            if let subscription {
                _ = try? await owners.deletePushSubscription(endpointOrID: subscription.id)
                logger.notice("a browser's push subscription is gone; removed it", metadata: ["subscription": "\(subscription.id)"])
            }
        case .retryable(let reason), .failed(let reason):
            metrics.notification(channel: channel, result: "failed")
            if let subscription { try? await owners.recordPushOutcome(subscriptionID: subscription.id, delivered: false) }
            logger.notice(
                "a notification was not delivered",
                metadata: ["channel": "\(channel)", "target": "\(subscription?.id ?? channel)", "reason": "\(reason)"]
            )
        }
    }
}
