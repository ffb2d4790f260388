public enum LocalClusterPlaceholder {}
