/// Reads results and statistics of runs back from redis (docs/collector.md).
public enum ClustmakeCollector {}
