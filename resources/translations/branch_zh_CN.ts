<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>ApprovalPanel</name>
    <message>
        <source>Approve</source>
        <translation>批准</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>PIN reload</source>
        <translation>重置密码</translation>
    </message>
    <message>
        <source>Refuse</source>
        <translation>拒绝</translation>
    </message>
    <message>
        <source>Supervisor approval needed: %1</source>
        <translation>需要主管批准：%1</translation>
    </message>
    <message>
        <source>Supervisor password</source>
        <translation>主管密码</translation>
    </message>
    <message>
        <source>Supervisor user name</source>
        <translation>主管用户名</translation>
    </message>
    <message>
        <source>closing the account</source>
        <translation>销户</translation>
    </message>
    <message>
        <source>permanent block</source>
        <translation>永久锁定</translation>
    </message>
    <message>
        <source>replacing a lost key</source>
        <translation>补发挂失密钥</translation>
    </message>
</context>
<context>
    <name>BranchMain</name>
    <message>
        <source>Issue a key</source>
        <translation>发行密钥</translation>
    </message>
    <message>
        <source>Services</source>
        <translation>服务</translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation>退出登录</translation>
    </message>
    <message>
        <source>Signed in: %1 (%2)</source>
        <translation>已登录：%1（%2）</translation>
    </message>
    <message>
        <source>SmartKey Branch Station</source>
        <translation>SmartKey 网点工作站</translation>
    </message>
    <message>
        <source>auditor</source>
        <translation>稽核员</translation>
    </message>
    <message>
        <source>supervisor</source>
        <translation>主管</translation>
    </message>
    <message>
        <source>teller</source>
        <translation>柜员</translation>
    </message>
</context>
<context>
    <name>CustomerPinPad</name>
    <message>
        <source>Customer: enter the same PIN again</source>
        <translation>客户：请再次输入相同的密码</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>确定</translation>
    </message>
    <message>
        <source>⌫</source>
        <translation>⌫</translation>
    </message>
</context>
<context>
    <name>IssuePage</name>
    <message>
        <source>ASN: %1</source>
        <translation>应用序列号：%1</translation>
    </message>
    <message>
        <source>Algorithm</source>
        <translation>算法</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <source>Customer: choose a 6-digit PIN</source>
        <translation>客户：请设置 6 位密码</translation>
    </message>
    <message>
        <source>Detect key</source>
        <translation>检测密钥</translation>
    </message>
    <message>
        <source>ID number</source>
        <translation>证件号码</translation>
    </message>
    <message>
        <source>ID type</source>
        <translation>证件类型</translation>
    </message>
    <message>
        <source>Issue the key</source>
        <translation>发行密钥</translation>
    </message>
    <message>
        <source>Maximum balance (¥)</source>
        <translation>最大余额（¥）</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <source>No-PIN limit (¥)</source>
        <translation>免密限额（¥）</translation>
    </message>
    <message>
        <source>Other</source>
        <translation>其他</translation>
    </message>
    <message>
        <source>Passport</source>
        <translation>护照</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>电话</translation>
    </message>
    <message>
        <source>Profile</source>
        <translation>配置</translation>
    </message>
    <message>
        <source>Purchases need a touch on the key</source>
        <translation>消费需触摸密钥确认</translation>
    </message>
    <message>
        <source>Receipt: %1</source>
        <translation>回执：%1</translation>
    </message>
    <message>
        <source>Replaces a lost key (its ASN; empty for a new customer)</source>
        <translation>补发挂失密钥（填写其应用序列号；新客户留空）</translation>
    </message>
    <message>
        <source>Resident ID card</source>
        <translation>居民身份证</translation>
    </message>
    <message>
        <source>Touch policy</source>
        <translation>触摸策略</translation>
    </message>
</context>
<context>
    <name>ServicesPage</name>
    <message>
        <source>ASN (empty: the key on the desk)</source>
        <translation>应用序列号（留空：柜台上的密钥）</translation>
    </message>
    <message>
        <source>After:</source>
        <translation>之后：</translation>
    </message>
    <message>
        <source>Before:</source>
        <translation>之前：</translation>
    </message>
    <message>
        <source>Block permanently</source>
        <translation>永久锁定</translation>
    </message>
    <message>
        <source>Block temporarily</source>
        <translation>临时锁定</translation>
    </message>
    <message>
        <source>Close the account</source>
        <translation>销户</translation>
    </message>
    <message>
        <source>Customer: enter your PIN</source>
        <translation>客户：请输入密码</translation>
    </message>
    <message>
        <source>ID document checked</source>
        <translation>已核验证件</translation>
    </message>
    <message>
        <source>Other</source>
        <translation>其他</translation>
    </message>
    <message>
        <source>Passport</source>
        <translation>护照</translation>
    </message>
    <message>
        <source>Read key</source>
        <translation>读取密钥</translation>
    </message>
    <message>
        <source>Reload PIN</source>
        <translation>重置密码</translation>
    </message>
    <message>
        <source>Report a lost key</source>
        <translation>挂失密钥</translation>
    </message>
    <message>
        <source>Report lost</source>
        <translation>挂失</translation>
    </message>
    <message>
        <source>Resident ID card</source>
        <translation>居民身份证</translation>
    </message>
    <message>
        <source>Services</source>
        <translation>服务</translation>
    </message>
    <message>
        <source>Unblock</source>
        <translation>解锁</translation>
    </message>
    <message>
        <source>Unblock PIN</source>
        <translation>解锁密码</translation>
    </message>
</context>
<context>
    <name>SignInPage</name>
    <message>
        <source>Branch station: staff sign-in</source>
        <translation>网点工作站：员工登录</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>登录</translation>
    </message>
    <message>
        <source>Signing in…</source>
        <translation>正在登录…</translation>
    </message>
    <message>
        <source>User name</source>
        <translation>用户名</translation>
    </message>
</context>
<context>
    <name>wallet::branch::IssueViewModel</name>
    <message>
        <source>A lost key's ASN has 16 digits (0-9, A-F).</source>
        <translation>挂失密钥的应用序列号为 16 位（0-9、A-F）。</translation>
    </message>
    <message>
        <source>Account %1 allocated. Turn the pad to the customer: they set their PIN.</source>
        <translation>已分配账户 %1。请将密码键盘转向客户，由客户设置密码。</translation>
    </message>
    <message>
        <source>An ID number has 5 to 32 letters and digits.</source>
        <translation>证件号码为 5 到 32 位字母或数字。</translation>
    </message>
    <message>
        <source>Another key is already replacing that lost key. Nothing was changed.</source>
        <translation>已有另一把密钥正在补发该挂失密钥。未做任何更改。</translation>
    </message>
    <message>
        <source>Approval refused: %1. Nothing was done.</source>
        <translation>批准被拒绝：%1。未执行任何操作。</translation>
    </message>
    <message>
        <source>Asking the bank for an account…</source>
        <translation>正在向银行申请账户…</translation>
    </message>
    <message>
        <source>Blank key %1 detected.</source>
        <translation>检测到空白密钥 %1。</translation>
    </message>
    <message>
        <source>Cancelled. Nothing was done.</source>
        <translation>已取消。未执行任何操作。</translation>
    </message>
    <message>
        <source>Check the fields marked in red.</source>
        <translation>请检查红色标记的字段。</translation>
    </message>
    <message>
        <source>Enter the ID number.</source>
        <translation>请输入证件号码。</translation>
    </message>
    <message>
        <source>Enter the customer's name.</source>
        <translation>请输入客户姓名。</translation>
    </message>
    <message>
        <source>Enter the maximum balance in yuan, e.g. 1000.00.</source>
        <translation>请输入以元为单位的最大余额，例如 1000.00。</translation>
    </message>
    <message>
        <source>Enter the phone number with its country code, e.g. +8613800138000.</source>
        <translation>请输入带国家代码的电话号码，例如 +8613800138000。</translation>
    </message>
    <message>
        <source>Issuance failed: %1</source>
        <translation>发行失败：%1</translation>
    </message>
    <message>
        <source>It replaces ASN %1: %2 moved to the customer's account, ready to load onto the new key.</source>
        <translation>它替换应用序列号 %1：%2 已转入客户账户，可圈存到新密钥。</translation>
    </message>
    <message>
        <source>Key issued: ASN %1, but the receipt failed: %2</source>
        <translation>密钥已发行：应用序列号 %1，但回执生成失败：%2</translation>
    </message>
    <message>
        <source>Key issued: ASN %1. Receipt saved.</source>
        <translation>密钥已发行：应用序列号 %1。回执已保存。</translation>
    </message>
    <message>
        <source>No key found: %1</source>
        <translation>未找到密钥：%1</translation>
    </message>
    <message>
        <source>Not a valid resident ID number: check the 18 characters (the last is a check character).</source>
        <translation>不是有效的居民身份证号码：请检查 18 位字符（最后一位是校验码）。</translation>
    </message>
    <message>
        <source>Personalising the key…</source>
        <translation>正在个人化密钥…</translation>
    </message>
    <message>
        <source>Replacing lost key %1 needs a supervisor: they type their credential here.</source>
        <translation>补发挂失密钥 %1 需要主管批准：请主管在此输入凭据。</translation>
    </message>
    <message>
        <source>SmartKey issued</source>
        <translation>SmartKey 已发行</translation>
    </message>
    <message>
        <source>The key %1 is already issued (ASN %2). Use Services for it.</source>
        <translation>密钥 %1 已经发行（应用序列号 %2）。请使用“服务”。</translation>
    </message>
    <message>
        <source>The key refused the bank's transport key: it is not a key of our manufacturer (or its transport key is wrong). Nothing was issued.</source>
        <translation>密钥拒绝了银行的传输密钥：它不是本制造商的密钥（或传输密钥错误）。未发行任何内容。</translation>
    </message>
    <message>
        <source>The manufacturer did not ship this key to the bank: do not issue it, set it aside. Nothing was written.</source>
        <translation>制造商未向本行交付此密钥：请勿发行，将其另行保管。未写入任何内容。</translation>
    </message>
    <message>
        <source>The name is too long for the key (20 bytes).</source>
        <translation>姓名过长（密钥最多 20 字节）。</translation>
    </message>
    <message>
        <source>The no-PIN limit is an amount in yuan no higher than the maximum balance.</source>
        <translation>免密限额须为不高于最大余额的元金额。</translation>
    </message>
    <message>
        <source>The supervisor refused. Nothing was done.</source>
        <translation>主管已拒绝。未执行任何操作。</translation>
    </message>
    <message>
        <source>This customer's ID does not match the lost key's account. Nothing was changed.</source>
        <translation>该客户的证件与挂失密钥的账户不符。未做任何更改。</translation>
    </message>
    <message>
        <source>This key was issued already: it cannot be issued again. Nothing was changed.</source>
        <translation>此密钥已经发行，不能再次发行。未做任何更改。</translation>
    </message>
    <message>
        <source>Your role may not issue keys. Nothing was changed.</source>
        <translation>您的角色无权发行密钥。未做任何更改。</translation>
    </message>
</context>
<context>
    <name>wallet::branch::PinEntry</name>
    <message>
        <source>Enter the same PIN again.</source>
        <translation>请再次输入相同的密码。</translation>
    </message>
    <message>
        <source>The PIN has 6 digits.</source>
        <translation>密码为 6 位数字。</translation>
    </message>
    <message>
        <source>The two PINs differ. Enter the new PIN again.</source>
        <translation>两次密码不一致。请重新输入新密码。</translation>
    </message>
</context>
<context>
    <name>wallet::branch::ServiceViewModel</name>
    <message>
        <source>A permanent block needs a supervisor: they type their credential here.</source>
        <translation>永久锁定需要主管批准：请主管在此输入凭据。</translation>
    </message>
    <message>
        <source>ASN %1 · application %2</source>
        <translation>应用序列号 %1 · 应用%2</translation>
    </message>
    <message>
        <source>ASN %1 · hot-listed: loads and online payments refused, kiosks told</source>
        <translation>应用序列号 %1 · 已列入黑名单：拒绝圈存和联机支付，已通知自助终端</translation>
    </message>
    <message>
        <source>Account closed: the key is terminated. Pay the customer %1.</source>
        <translation>已销户：密钥已终止。请向客户支付 %1。</translation>
    </message>
    <message>
        <source>Approval failed: %1. Nothing was done.</source>
        <translation>批准失败：%1。未执行任何操作。</translation>
    </message>
    <message>
        <source>Approval refused: only a supervisor may approve. Nothing was done.</source>
        <translation>批准被拒绝：只有主管可以批准。未执行任何操作。</translation>
    </message>
    <message>
        <source>Approval refused: the supervisor's credential was not accepted. Nothing was done.</source>
        <translation>批准被拒绝：主管凭据未通过验证。未执行任何操作。</translation>
    </message>
    <message>
        <source>Approval refused: you cannot approve your own operation. Nothing was done.</source>
        <translation>批准被拒绝：不能批准自己的操作。未执行任何操作。</translation>
    </message>
    <message>
        <source>Approved. The customer enters the new PIN twice on the pad.</source>
        <translation>已批准。请客户在密码键盘上输入两次新密码。</translation>
    </message>
    <message>
        <source>Blocked permanently: the key can no longer load or pay, and the bank refuses every service for it. Only a replacement key helps the customer now.</source>
        <translation>已永久锁定：此密钥不能再圈存或支付，银行拒绝为其办理任何业务。现在只能为客户补发新密钥。</translation>
    </message>
    <message>
        <source>Cancelled. Nothing was done.</source>
        <translation>已取消。未执行任何操作。</translation>
    </message>
    <message>
        <source>Check the customer's ID document first and tick the box.</source>
        <translation>请先核验客户证件并勾选。</translation>
    </message>
    <message>
        <source>Closing the account ends this key for good and pays back its balance. A supervisor types their credential here.</source>
        <translation>销户将永久终止此密钥并退还余额。请主管在此输入凭据。</translation>
    </message>
    <message>
        <source>Done: %1.</source>
        <translation>完成：%1。</translation>
    </message>
    <message>
        <source>Enter the lost key's 16-digit ASN.</source>
        <translation>请输入挂失密钥的 16 位应用序列号。</translation>
    </message>
    <message>
        <source>ID check recorded. The customer enters their current PIN on the pad.</source>
        <translation>已记录证件核验。请客户在密码键盘上输入当前密码。</translation>
    </message>
    <message>
        <source>No key found: %1</source>
        <translation>未找到密钥：%1</translation>
    </message>
    <message>
        <source>PIN reload needs a supervisor: they type their credential here.</source>
        <translation>重置密码需要主管批准：请主管在此输入凭据。</translation>
    </message>
    <message>
        <source>Refused: %1</source>
        <translation>被拒绝：%1</translation>
    </message>
    <message>
        <source>Unknown, being checked: %1</source>
        <translation>结果未知，正在核查：%1</translation>
    </message>
    <message>
        <source>Refused: the bank serves no key that is blocked permanently or terminated. Only a replacement key helps the customer. Nothing was changed.</source>
        <translation>被拒绝：银行不为已永久锁定或已终止的密钥办理业务。只能为客户补发新密钥。未做任何更改。</translation>
    </message>
    <message>
        <source>Reported lost.</source>
        <translation>已挂失。</translation>
    </message>
    <message>
        <source>The supervisor refused. Nothing was done.</source>
        <translation>主管已拒绝。未执行任何操作。</translation>
    </message>
    <message>
        <source>Working with the bank and the key…</source>
        <translation>正在与银行和密钥通信…</translation>
    </message>
    <message>
        <source>active</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>blank key %1 (not issued)</source>
        <translation>空白密钥 %1（未发行）</translation>
    </message>
    <message>
        <source>blocked</source>
        <translation>已锁定</translation>
    </message>
    <message>
        <source>blocked permanently</source>
        <translation>已永久锁定</translation>
    </message>
    <message>
        <source>terminated</source>
        <translation>已终止</translation>
    </message>
    <message>
        <source>terminated (%1)</source>
        <translation>已终止（%1）</translation>
    </message>
    <message>
        <source>unknown (%1)</source>
        <translation>未知（%1）</translation>
    </message>
</context>
<context>
    <name>wallet::branch::StaffViewModel</name>
    <message>
        <source>Enter your user name and password.</source>
        <translation>请输入用户名和密码。</translation>
    </message>
    <message>
        <source>Sign-in failed: %1</source>
        <translation>登录失败：%1</translation>
    </message>
    <message>
        <source>Signed out.</source>
        <translation>已退出登录。</translation>
    </message>
    <message>
        <source>The bank ended your session. Sign in again.</source>
        <translation>银行已结束您的会话。请重新登录。</translation>
    </message>
    <message>
        <source>Too many wrong passwords: this account is locked for a while.</source>
        <translation>密码错误次数过多：此账户已被暂时锁定。</translation>
    </message>
    <message>
        <source>Wrong user name or password.</source>
        <translation>用户名或密码错误。</translation>
    </message>
    <message numerus="yes">
        <source>Your session timed out after %n minute(s) without use. Sign in again.</source>
        <translation>
            <numerusform>会话在 %n 分钟无操作后超时。请重新登录。</numerusform>
        </translation>
    </message>
</context>
</TS>
