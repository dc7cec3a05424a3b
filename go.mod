module github.com/autocred/autocred

go 1.26.8
