//go:build js && wasm

package main

import (
	"encoding/hex"
	"encoding/json"
	"math/rand"
	"strings"
	"sync"
	"syscall/js"
	"time"
)

// Login status values as reported by the official core's getLoginStatus.
const (
	statusUninitialized = -1001
	statusLoggedOut     = 1
	statusLoggingIn     = 2
	statusLoggedIn      = 3
)

// Message constants used by createTextMessage / sendMessageNotOss.
const (
	msgFromUser        = 100
	contentTypeText    = 101
	msgStatusSending   = 1
	msgStatusSent      = 2
	sessionTypeSingle  = 1
	sessionTypeGroup   = 3
	connectDelay       = 5 * time.Millisecond
	notLoginErrMessage = "10004 Resource initialization incomplete"
)

// state is the SDK session. Go on wasm is single-threaded, but goroutines
// still interleave at blocking points (login sleeps), so guard it anyway.
var state = struct {
	sync.Mutex
	status     int
	initOpID   string // operationID given to initSDK; used for connection events
	platformID int
	userID     string
	loginTime  int64
}{status: statusUninitialized}

// math/rand rather than crypto/rand: IDs only need to be unique, and this
// avoids depending on the host exposing a crypto object to the wasm.
var rng = rand.New(rand.NewSource(time.Now().UnixNano()))

func newID() string {
	b := make([]byte, 16)
	rng.Read(b)
	return hex.EncodeToString(b)
}

func nowMillis() int64 { return time.Now().UnixNano() / int64(time.Millisecond) }

func mustJSON(v interface{}) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// loggedInUser returns the current user, or the error the official core
// gives for calls that need a session.
func loggedInUser() (userID string, platformID int, loginTime int64, err error) {
	state.Lock()
	defer state.Unlock()
	if state.status != statusLoggedIn {
		return "", 0, 0, newSDKError(errCodeNotLogin, notLoginErrMessage)
	}
	return state.userID, state.platformID, state.loginTime, nil
}

// initSDK(operationID, configJSON) -> [true] | [false], returned directly
// (not a Promise). Args are indexed directly: a missing one crashes.
func initSDK(this js.Value, args []js.Value) interface{} {
	opID := args[0].String()
	configText := args[1].String()

	var cfg struct {
		APIAddr    string   `json:"apiAddr"`
		WSAddr     string   `json:"wsAddr"`
		PlatformID *float64 `json:"platformID"` // pointer: distinguish absent from 0
	}
	ok := json.Unmarshal([]byte(configText), &cfg) == nil &&
		strings.HasPrefix(strings.TrimSpace(configText), "{") &&
		strings.Contains(cfg.APIAddr, "http") &&
		strings.Contains(cfg.WSAddr, "ws") &&
		cfg.PlatformID != nil
	if !ok {
		return js.ValueOf([]interface{}{false})
	}

	state.Lock()
	// Like the official core, a repeated initSDK succeeds but keeps the
	// existing session instead of resetting it.
	if state.status == statusUninitialized {
		state.status = statusLoggedOut
		state.initOpID = opID
		state.platformID = int(*cfg.PlatformID)
	}
	state.Unlock()
	return js.ValueOf([]interface{}{true})
}

// login(operationID, userID, token) -> Promise<`""`>
func login(opID string, args []js.Value) (string, error) {
	userID := argString(args, 1, "userID")
	token := argString(args, 2, "token")

	state.Lock()
	switch {
	case state.status == statusUninitialized:
		state.Unlock()
		return "", newSDKError(errCodeNotInit, "sdk not init")
	case state.status == statusLoggedIn || state.status == statusLoggingIn:
		// A login already in flight counts as a repeat too, so two
		// concurrent logins cannot both succeed.
		state.Unlock()
		return "", newSDKError(errCodeLoginRepeat, "login repeat")
	case userID == "" || token == "":
		state.Unlock()
		return "", newSDKError(errCodeArgsErr, "args err")
	}
	state.status = statusLoggingIn
	connOpID := state.initOpID
	state.Unlock()

	emit("OnConnecting", "", connOpID)
	time.Sleep(connectDelay) // let the host observe the "logging in" state
	time.Sleep(slowLoginDelay(token))
	emit("OnConnectSuccess", "", connOpID)
	emit("OnSyncServerStart", "false", "")
	emit("OnSyncServerFinish", "false", "")

	state.Lock()
	state.status = statusLoggedIn
	state.userID = userID
	state.loginTime = nowMillis()
	state.Unlock()
	return voidResult, nil
}

// slowLoginTokenPrefix + milliseconds as a token makes login take that long (at most a
// minute): a test hook for what a host does while a login is slow (the official core's
// login returns before it hears from the IM server, so it cannot be slowed on demand).
const slowLoginTokenPrefix = "debug-slow-login-"

func slowLoginDelay(token string) time.Duration {
	if !strings.HasPrefix(token, slowLoginTokenPrefix) {
		return 0
	}
	ms := 0
	for _, c := range token[len(slowLoginTokenPrefix):] {
		if c < '0' || c > '9' || ms > 60000 {
			break
		}
		ms = ms*10 + int(c-'0')
	}
	if ms > 60000 {
		ms = 60000
	}
	return time.Duration(ms) * time.Millisecond
}

// logout(operationID) -> Promise<`""`>
func logout(opID string, args []js.Value) (string, error) {
	if _, _, _, err := loggedInUser(); err != nil {
		return "", err
	}
	state.Lock()
	state.status = statusLoggedOut
	state.userID = ""
	state.Unlock()
	return voidResult, nil
}

// getLoginStatus(operationID) -> Promise<[status]>
func getLoginStatus(args []js.Value) []interface{} {
	_ = args[0].String() // direct indexing, as in the real core
	state.Lock()
	defer state.Unlock()
	return []interface{}{state.status}
}

type userInfo struct {
	UserID           string `json:"userID"`
	Nickname         string `json:"nickname"`
	FaceURL          string `json:"faceURL"`
	Ex               string `json:"ex"`
	CreateTime       int64  `json:"createTime"`
	AppMangerLevel   int    `json:"appMangerLevel"` // sic: the real field name
	GlobalRecvMsgOpt int    `json:"globalRecvMsgOpt"`
}

// getSelfUserInfo(operationID) -> Promise<userInfo JSON>
func getSelfUserInfo(opID string, args []js.Value) (string, error) {
	userID, _, loginTime, err := loggedInUser()
	if err != nil {
		return "", err
	}
	return mustJSON(userInfo{
		UserID:     userID,
		Nickname:   nickname(userID),
		CreateTime: loginTime,
	}), nil
}

func nickname(userID string) string { return "test-" + userID }

type textElem struct {
	Content string `json:"content"`
}

// message is the subset of the official MsgStruct the test core fills in.
type message struct {
	ClientMsgID      string    `json:"clientMsgID"`
	ServerMsgID      string    `json:"serverMsgID"`
	CreateTime       int64     `json:"createTime"`
	SendTime         int64     `json:"sendTime"`
	SessionType      int       `json:"sessionType"`
	SendID           string    `json:"sendID"`
	RecvID           string    `json:"recvID"`
	MsgFrom          int       `json:"msgFrom"`
	ContentType      int       `json:"contentType"`
	SenderPlatformID int       `json:"senderPlatformID"`
	SenderNickname   string    `json:"senderNickname"`
	SenderFaceURL    string    `json:"senderFaceUrl"`
	GroupID          string    `json:"groupID"`
	Content          string    `json:"content"`
	Seq              int64     `json:"seq"`
	IsRead           bool      `json:"isRead"`
	Status           int       `json:"status"`
	TextElem         *textElem `json:"textElem,omitempty"`
}

// createTextMessage(operationID, text) -> Promise<[msgJSON]> or [""]
func createTextMessage(args []js.Value) []interface{} {
	_ = args[0].String()
	text := args[1].String() // missing text => index panic => program exits

	userID, platformID, _, err := loggedInUser()
	if err != nil {
		return []interface{}{""}
	}
	now := nowMillis()
	return []interface{}{mustJSON(message{
		ClientMsgID:      newID(),
		CreateTime:       now,
		SendTime:         now,
		SendID:           userID,
		MsgFrom:          msgFromUser,
		ContentType:      contentTypeText,
		SenderPlatformID: platformID,
		SenderNickname:   nickname(userID),
		Status:           msgStatusSending,
		TextElem:         &textElem{Content: text},
	})}
}

// sendMessageNotOss(operationID, messageJSON, recvID, groupID,
// offlinePushInfoJSON, isOnlineOnly) -> Promise<msgJSON>; also echoes the
// sent message back as OnRecvNewMessage.
func sendMessageNotOss(opID string, args []js.Value) (string, error) {
	msgText := argString(args, 1, "message")
	recvID := argString(args, 2, "recvID")
	groupID := argString(args, 3, "groupID")
	argString(args, 4, "offlinePushInfo")
	argBool(args, 5, "isOnlineOnly")

	if _, _, _, err := loggedInUser(); err != nil {
		return "", err
	}
	var msg message
	if err := json.Unmarshal([]byte(msgText), &msg); err != nil {
		return "", newSDKError(errCodeArgsErr, "message is not a valid message JSON object: %v", err)
	}
	if msg.ClientMsgID == "" {
		return "", newSDKError(errCodeArgsErr, "message has no clientMsgID")
	}
	if recvID == "" && groupID == "" {
		return "", newSDKError(errCodeArgsErr, "recvID and groupID are both empty")
	}

	msg.Status = msgStatusSent
	msg.ServerMsgID = newID()
	msg.SendTime = nowMillis()
	msg.RecvID, msg.GroupID = recvID, groupID
	// The official core treats a non-empty recvID as a single chat.
	if recvID != "" {
		msg.SessionType = sessionTypeSingle
	} else {
		msg.SessionType = sessionTypeGroup
	}
	out := mustJSON(msg)
	emit("OnRecvNewMessage", out, "")
	return out, nil
}
