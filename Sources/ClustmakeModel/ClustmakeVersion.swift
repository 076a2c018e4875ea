/// The version of this build of clustmake and its worker (one number: a worker of another version is another
/// program as far as plans and records are concerned).
public enum ClustmakeVersion {
    public static let current = "0.1.0"
}
