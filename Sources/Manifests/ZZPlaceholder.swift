// Placeholder while the Manifests module is written; removed when it lands.
enum ManifestsModulePlaceholder {}
