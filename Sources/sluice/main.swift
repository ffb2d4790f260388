import GitSource
print(GitSourcePlaceholder.v())
