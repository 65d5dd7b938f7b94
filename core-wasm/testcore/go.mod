module openim-jssdk-server/testcore

go 1.19
