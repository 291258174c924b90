# Builds sexton with the Makefile's one build command and ships it alone in
# a scratch image. Use it as a base, or copy /sexton into your own image:
#   COPY --from=sexton /sexton /sexton
#   ENTRYPOINT ["/sexton", "--"]
FROM golang:1.26 AS build
WORKDIR /src
COPY . .
RUN make build BIN=/sexton

FROM scratch
COPY --from=build /sexton /sexton
ENTRYPOINT ["/sexton", "--"]
