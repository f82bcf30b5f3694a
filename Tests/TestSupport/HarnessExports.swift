/// The helpers tests share with crow-bench (temporary directories, waiting on a condition, running a
/// tool, a loopback socket) come with `import TestSupport`.
@_exported import HarnessKit
