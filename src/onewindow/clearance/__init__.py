"""The path of a goods declaration across domains: ``service`` is the door (lodge, amend, cancel,
pay, holds, inspection results, release); ``api``, ``pages`` and ``cli`` are what routes, pages and
the shell call it through. Domains never import this package."""
