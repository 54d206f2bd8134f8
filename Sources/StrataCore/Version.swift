public enum StrataCoreVersion { public static let string = "0.1.0" }
