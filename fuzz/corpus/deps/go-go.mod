module example.org/svc

go 1.22

require github.com/google/uuid v1.6.0

require (
	golang.org/x/sync v0.6.0
	github.com/pkg/errors v0.9.1 // indirect
)

replace example.org/old => ../old
