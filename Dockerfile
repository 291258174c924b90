# Builds sexton with the Makefile's one build command (the tests check that
# this file keeps using it) and ships it alone in a scratch image:
#   docker build -t sexton .
# Use it as a base, or copy /sexton into your own image:
#   COPY --from=sexton /sexton /sexton
#   ENTRYPOINT ["/sexton", "--"]
FROM golang:1.26 AS build
WORKDIR /src
COPY . .
RUN make build BIN=/sexton

# A second target, sexton in front of a real command: a shell that leaves
# three orphans behind, which sexton reaps (-v shows it).
#   docker build --target example -t sexton-example . && docker run --rm sexton-example
FROM debian:bookworm-slim AS example
COPY --from=build /sexton /sexton
ENTRYPOINT ["/sexton", "-v", "--"]
CMD ["sh", "-c", "for i in 1 2 3; do (sleep 1 &); done; sleep 2"]

# The default target: the binary alone.
FROM scratch
COPY --from=build /sexton /sexton
ENTRYPOINT ["/sexton", "--"]
