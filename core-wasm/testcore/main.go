//go:build js && wasm

// Command testcore is a tiny stand-in for the OpenIM SDK core compiled to
// WebAssembly. It exposes a handful of global functions with the same calling
// conventions as the official wasm core (promises resolving with JSON text,
// rejections with {errCode, errMsg, operationID}, sync-style calls resolving
// with an array, events delivered as one JSON string), plus a few debug hooks
// that let the host's tests inject crashes, hangs and memory growth.
//
// It only uses the standard library so that the committed binary can be
// rebuilt byte-for-byte by scripts/build-testcore.sh.
package main

import (
	"fmt"
	"syscall/js"
)

const versionLine = "openim-jssdk-server test core v1.0.0"

func main() {
	fmt.Println(versionLine)

	register("commonEventFunc", commonEventFunc)
	register("initSDK", initSDK)
	register("login", asyncFunc(login))
	register("logout", asyncFunc(logout))
	register("getLoginStatus", syncStyleFunc(getLoginStatus))
	register("getSelfUserInfo", asyncFunc(getSelfUserInfo))
	register("createTextMessage", syncStyleFunc(createTextMessage))
	register("sendMessageNotOss", asyncFunc(sendMessageNotOss))
	register("debugPanic", debugPanic)
	register("debugHang", debugHang)
	register("debugAllocate", asyncFunc(debugAllocate))
	register("debugEcho", asyncFunc(debugEcho))
	register("debugEmit", asyncFunc(debugEmit))

	// The exported functions are only reachable while the Go program is
	// alive, so park the main goroutine forever.
	<-make(chan struct{})
}

func register(name string, fn func(this js.Value, args []js.Value) interface{}) {
	// These js.Func values are intentionally never released: they live for
	// the whole lifetime of the program.
	js.Global().Set(name, js.FuncOf(fn))
}
