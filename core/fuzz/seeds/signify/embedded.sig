untrusted comment: verify with sf.pub
RWRg2dHts9wgVU5PZDwaF9w6/vJyaatZ/PHlgR+9djZUPrBJqDsIwN72hkAOnehqy0RVhTLe/jwnMKIVkl8JGQSRwse34U186wA=
omega fuzz message
